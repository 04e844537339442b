//! The local stack's development OpenID issuer: an ES256 key pair kept in the local data
//! folder (made on first use), its JWKS, and token minting for `scripts/token` and tests.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("issuer key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("issuer key file {0} does not hold a P-256 PKCS#8 key")]
    BadKey(String),
    #[error("cannot generate a key pair")]
    Generate,
    #[error("cannot sign a token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub struct DevIssuer {
    pkcs8: Vec<u8>,
    kid: String,
    jwks: JwkSet,
}

/// What `scripts/token` asks for.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub sub: String,
    pub roles: Vec<String>,
    pub shop_ids: Vec<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    /// The `name` claim: who the apps and emails greet.
    pub name: Option<String>,
    pub ttl_seconds: u64,
    /// Mark the email and phone number unverified (`email_verified: false`…); by default
    /// the development issuer vouches for them, as a real one does once they are confirmed.
    pub unverified: bool,
}

impl DevIssuer {
    /// The key in `path`, or a new one written there (owner-readable only) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, DevIssuerError> {
        let io = |source| DevIssuerError::Io { path: path.display().to_string(), source };
        match std::fs::read(path) {
            Ok(pkcs8) => {
                Self::from_pkcs8(pkcs8).ok_or_else(|| DevIssuerError::BadKey(path.display().to_string()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let issuer = Self::generate()?;
                write_private(path, &issuer.pkcs8).map_err(io)?;
                Ok(issuer)
            }
            Err(error) => Err(io(error)),
        }
    }

    /// A key that lives only in memory.
    pub fn generate() -> Result<Self, DevIssuerError> {
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| DevIssuerError::Generate)?;
        Self::from_pkcs8(document.as_ref().to_vec()).ok_or(DevIssuerError::Generate)
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Option<Self> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).ok()?;
        // An uncompressed P-256 point: 0x04, then 32 bytes of x and 32 of y.
        let point = pair.public_key().as_ref();
        let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..33]), URL_SAFE_NO_PAD.encode(&point[33..65]));
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, point);
        let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]);
        let jwks = serde_json::from_value(json!({"keys": [{
            "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig"
        }]}))
        .ok()?;
        Some(Self { pkcs8, kid, jwks })
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs any claims with this issuer's key (ES256, its `kid` in the header).
    pub fn sign(&self, claims: &Value) -> Result<String, DevIssuerError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        self.sign_with(&header, claims)
    }

    /// Signs with this issuer's key under any header (ES256): for key-rotation and forgery tests.
    pub fn sign_with(&self, header: &Header, claims: &Value) -> Result<String, DevIssuerError> {
        Ok(jsonwebtoken::encode(header, claims, &EncodingKey::from_ec_der(&self.pkcs8))?)
    }

    /// An access token for `issuer` and `audience` with the requested identity.
    pub fn token(
        &self,
        issuer: &str,
        audience: &str,
        request: &TokenRequest,
    ) -> Result<String, DevIssuerError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        let mut claims = json!({
            "iss": issuer,
            "aud": audience,
            "sub": request.sub,
            "iat": now,
            "nbf": now,
            "exp": now + request.ttl_seconds,
            "jti": uuid::Uuid::new_v4().to_string(),
            "roles": request.roles,
            "shop_ids": request.shop_ids,
        });
        if let Some(email) = &request.email {
            claims["email"] = json!(email);
            claims["email_verified"] = json!(!request.unverified);
        }
        if let Some(username) = &request.username {
            claims["preferred_username"] = json!(username);
            claims["phone_number_verified"] = json!(!request.unverified);
        }
        if let Some(name) = &request.name {
            claims["name"] = json!(name);
        }
        self.sign(&claims)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer-key.p8");
        let first = DevIssuer::load_or_create(&path).unwrap();
        let again = DevIssuer::load_or_create(&path).unwrap();
        assert_eq!(first.kid(), again.kid());
        assert_ne!(first.kid(), DevIssuer::generate().unwrap().kid());
    }
}
