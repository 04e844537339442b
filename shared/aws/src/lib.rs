//! The AWS SDK configuration of every function, built from the environment Lambda provides.
//!
//! `aws_config::load_defaults` walks provider chains (profile files, SSO, IMDS, …) that a Lambda
//! function never uses, and the SDK's default HTTPS client parses the whole system trust store
//! at init: ~150 roots, 2–3 ms of a ~4 ms cold start on the bench machine (README, performance).
//! Lambda hands a function its region and credentials in environment variables, and every AWS
//! endpoint's certificate chains to one of five Amazon Trust Services roots: trusting just
//! those keeps init near the hello-world floor, and trusts nobody else with our requests.

use std::path::PathBuf;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_types::region::Region;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

pub use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
pub use aws_types::SdkConfig;
use aws_types::sdk_config::TimeoutConfig;

/// The roots every AWS endpoint chains to (the file's header says where they come from).
const AMAZON_TRUST_ROOTS: &str = include_str!("../amazon-trust-roots.pem");

/// Why the configuration could not be built, naming the variable or file at fault.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The SDK configuration from the process environment: `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (all set by Lambda), `AWS_ENDPOINT_URL` (set
/// only locally, to point the clients at moto or the local stack), and `AWS_CA_BUNDLE` (a PEM
/// bundle to trust instead of the Amazon roots: for a TLS-intercepting proxy, say).
pub fn config_from_env() -> Result<SdkConfig, ConfigError> {
    config_from(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
}

/// The same, with the environment given as a lookup (tests).
pub fn config_from(var: impl Fn(&str) -> Option<String>) -> Result<SdkConfig, ConfigError> {
    let required = |name: &str| var(name).ok_or_else(|| ConfigError(format!("{name} is not set")));
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
    let region = region.ok_or_else(|| ConfigError("AWS_REGION is not set".into()))?;
    let credentials = Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "environment",
    );
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https_client(trust_store(var("AWS_CA_BUNDLE").map(PathBuf::from))?));
    if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// Every AWS call ends well inside the shortest function timeout (10 s): a hung call becomes an
/// error the function handles (a claim released, a 503 logged) instead of a Lambda timeout that
/// kills the invocation mid-way. Retries included, a call takes at most 5 s; one attempt 2 s.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn https_client(trust_store: TrustStore) -> aws_types::sdk_config::SharedHttpClient {
    let context = TlsContext::builder().with_trust_store(trust_store).build();
    // `build` only fails for options this builder does not set.
    let context = context.unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

/// The Amazon roots, or the bundle in `configured`. Checked here, each certificate as the SDK
/// will take it, because the SDK panics on one it cannot use.
fn trust_store(configured: Option<PathBuf>) -> Result<TrustStore, ConfigError> {
    let Some(path) = configured else {
        return Ok(TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS.as_bytes()));
    };
    let pem = std::fs::read(&path).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    match certificates(&pem) {
        Ok(certificates) if !certificates.is_empty() => Ok(TrustStore::empty().with_pem_certificate(pem)),
        Ok(_) => Err(ConfigError(format!("{}: no certificates in this CA bundle", path.display()))),
        Err(e) => Err(ConfigError(format!("{}: unusable CA bundle: {e}", path.display()))),
    }
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    for (index, certificate) in certificates.iter().enumerate() {
        roots.add(certificate.clone()).map_err(|e| format!("certificate {}: {e}", index + 1))?;
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_environment(name: &str) -> Option<String> {
        match name {
            "AWS_REGION" => Some("eu-west-1".into()),
            "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret".into()),
            "AWS_SESSION_TOKEN" => Some("session".into()),
            _ => None,
        }
    }

    #[test]
    fn reads_region_and_endpoint_from_the_environment() {
        let config = config_from(lambda_environment).unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), None);
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        let timeouts = config.timeout_config().unwrap();
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert!(timeouts.operation_attempt_timeout().is_some() && timeouts.connect_timeout().is_some());

        let local = config_from(|name| match name {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:5000".into()),
            _ => lambda_environment(name),
        })
        .unwrap();
        assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:5000"));
    }

    #[test]
    fn names_the_missing_variable() {
        let without = |missing: &'static str| {
            move |name: &str| if name == missing { None } else { lambda_environment(name) }
        };
        assert_eq!(config_from(without("AWS_REGION")).unwrap_err().0, "AWS_REGION is not set");
        assert_eq!(config_from(without("AWS_ACCESS_KEY_ID")).unwrap_err().0, "AWS_ACCESS_KEY_ID is not set");
        assert_eq!(
            config_from(without("AWS_SECRET_ACCESS_KEY")).unwrap_err().0,
            "AWS_SECRET_ACCESS_KEY is not set"
        );
        // The session token is optional (long-term keys have none).
        assert!(config_from(without("AWS_SESSION_TOKEN")).is_ok());
    }

    #[test]
    fn refuses_a_ca_bundle_it_cannot_use() {
        let folder = tempfile::tempdir().unwrap();
        let garbage = folder.path().join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").unwrap();
        // Valid PEM and base64, but no X.509 certificate inside.
        let not_x509 = folder.path().join("not-x509.pem");
        std::fs::write(
            &not_x509,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let empty = folder.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = folder.path().join("missing.pem");
        for (path, expected) in [
            (&garbage, "unusable CA bundle"),
            (&not_x509, "certificate 1"),
            (&empty, "no certificates"),
            (&missing, "missing.pem"),
        ] {
            let error = trust_store(Some(path.clone())).err().unwrap();
            assert!(error.0.contains(expected), "{path:?}: {error}");
        }
    }

    #[test]
    fn trusts_exactly_the_amazon_roots() {
        let fingerprints: Vec<String> = certificates(AMAZON_TRUST_ROOTS.as_bytes())
            .unwrap()
            .iter()
            .map(|certificate| {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate);
                digest.as_ref().iter().map(|byte| format!("{byte:02X}")).collect()
            })
            .collect();
        // From https://www.amazontrust.com/repository/: Amazon Root CA 1–4, Starfield Services G2.
        assert_eq!(
            fingerprints,
            [
                "8ECDE6884F3D87B1125BA31AC3FCB13D7016DE7F57CC904FE1CB97C6AE98196E",
                "1BA5B2AA8C65401A82960118F80BEC4F62304D83CEC4713A19C39C011EA46DB4",
                "18CE6CFE7BF14E60B2E347B8DFE868CB31D02EBB3ADA271569F50343B46DB3A4",
                "E35D28419ED02025CFA69038CD623962458DA5C695FBDEA3C22B0BFB25897092",
                "568D6905A2C88708A4B3025190EDCFEDB1974A606A13C6E5290FCB2AE63EDAB5",
            ]
        );
        assert!(trust_store(None).is_ok());
    }
}
