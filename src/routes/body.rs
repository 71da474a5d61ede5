//! The request body of a write: JSON only, at most [`MAX_BODY_BYTES`], every refusal a Graph error.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::graph::MAX_BODY_BYTES;
use crate::graph::error::GraphError;

pub struct JsonBody(pub Bytes);

impl FromRequest for JsonBody {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = matches!(req.mime_type(), Ok(Some(mime))
            if mime.type_() == "application" && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")));
        if !is_json {
            let received = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Box::pin(std::future::ready(Err(GraphError::unsupported_media_type(
                received.as_deref(),
            ))));
        }
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes.await.map(JsonBody).map_err(|error| {
                match error.as_response_error().status_code() {
                    StatusCode::PAYLOAD_TOO_LARGE => GraphError::payload_too_large(MAX_BODY_BYTES),
                    _ => GraphError::bad_request("The request body could not be read completely."),
                }
            })
        })
    }
}
