//! The Entra-like identity provider: app registrations, the RS256 signing key every instance
//! shares, Entra's token endpoint protocol (client credentials, discovery, keys), and HS256 tokens
//! for local use. Its HTTP door is `routes::identity`.

pub mod apps;
pub mod hs256;
pub mod issuer;
pub mod token;

pub use hs256::mint_token;
