//! The request body of a write: JSON only, at most `LIMIT` bytes (after any Content-Encoding is
//! undone), every refusal a Graph error.

use actix_web::dev::{Decompress, Payload};
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::graph::MAX_BODY_BYTES;
use crate::graph::error::GraphError;

/// A JSON body of at most `LIMIT` bytes; routes that take more (an import) say so in their type.
pub struct JsonBody<const LIMIT: usize = MAX_BODY_BYTES>(pub Bytes);

impl<const LIMIT: usize> FromRequest for JsonBody<LIMIT> {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = matches!(req.mime_type(), Ok(Some(mime))
            if mime.type_() == "application" && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")));
        if !is_json {
            let received = req
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Box::pin(std::future::ready(Err(GraphError::unsupported_media_type(
                received.as_deref(),
            ))));
        }
        // Refused before reading when the client says up front that it is too large.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > LIMIT) {
            return Box::pin(std::future::ready(Err(GraphError::payload_too_large(
                LIMIT,
            ))));
        }
        let mut stream = Decompress::from_headers(payload.take(), req.headers());
        Box::pin(async move {
            let mut body = BytesMut::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|_| {
                    GraphError::bad_request("The request body could not be read completely.")
                })?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(GraphError::payload_too_large(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(JsonBody(body.freeze()))
        })
    }
}
