//! Every forged or broken token is refused for the right reason; a genuine one passes.

use std::sync::Arc;

use bookworm_auth::dev_issuer::DevIssuer;
use bookworm_auth::forgeries::{admin_claims, forgeries, keycloak_sample_claims};
use bookworm_auth::{StaticKeys, Verifier, VerifierConfig};
use bookworm_domain::identity::Role;

#[tokio::test]
async fn forged_tokens_are_refused_and_genuine_ones_pass() {
    let issuer = DevIssuer::generate().unwrap();
    let config = VerifierConfig {
        issuer: "https://issuer.test".into(),
        audience: "bookworm".into(),
        leeway_seconds: 30,
    };
    let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));

    let genuine = issuer.sign(&admin_claims("https://issuer.test", "bookworm")).unwrap();
    let (principal, _) = verifier.verify(&genuine).await.expect("a genuine token passes");
    assert!(principal.has(Role::Admin));

    let cases = forgeries(&issuer, "https://issuer.test", "bookworm");
    assert!(cases.len() >= 12);
    for case in cases {
        assert_eq!(verifier.verify(&case.token).await.err(), Some(case.refusal.clone()), "{}", case.name);
    }
}

#[tokio::test]
async fn the_keycloak_token_shape_is_accepted() {
    let issuer = DevIssuer::generate().unwrap();
    let realm = "http://localhost:8080/auth/realms/master";
    let config = VerifierConfig { issuer: realm.into(), audience: "comfortech".into(), leeway_seconds: 30 };
    let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let token = issuer.sign(&keycloak_sample_claims(realm, now)).unwrap();
    let (principal, expires) = verifier.verify(&token).await.expect("accepted");
    assert_eq!(principal.user_id, "99b2ca6d-b179-4161-9c25-ad84ab7ca438");
    assert_eq!(principal.username.as_deref(), Some("+79516519741"));
    assert_eq!(principal.roles.iter().copied().collect::<Vec<_>>(), [Role::Customer]);
    assert_eq!(expires, now + 36000);
}
