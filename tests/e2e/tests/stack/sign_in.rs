//! The development issuer's OpenID Connect sign-in (authorization code with PKCE), over HTTP
//! as a browser app drives it: discovery, the authorize page, the code, the token exchange,
//! refresh; and each way a request is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::LocalStack;
use reqwest::redirect::Policy;
use serde_json::Value;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
/// RFC 7636's example pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key.as_ref(), value.as_ref());
    }
    serializer.finish()
}

/// A form POST, as a browser sends one.
async fn post_form<K: AsRef<str>, V: AsRef<str>>(url: String, pairs: &[(K, V)]) -> reqwest::Response {
    client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(pairs))
        .send()
        .await
        .unwrap()
}

fn authorize_query(stack: &LocalStack, redirect: &str, challenge: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", stack.stack.auth.audience.as_str()),
        ("redirect_uri", redirect),
        ("state", "s-42"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("nonce", "n-7"),
        ("scope", "openid"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Signs in through the form as a merchant of SHOP; returns the code the app got back.
async fn code(stack: &LocalStack, redirect: &str) -> String {
    let mut form = authorize_query(stack, redirect, CHALLENGE);
    form.extend(
        [("sub", "merchant-9"), ("name", "Mia"), ("role", "merchant"), ("shops", SHOP)]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let response = post_form(stack.url("/oauth2/authorize"), &form).await;
    assert_eq!(response.status(), 303);
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/merchant/");
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "s-42", "the app's state comes back");
    pairs["code"].clone()
}

async fn exchange(stack: &LocalStack, code: &str, redirect: &str, verifier: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", &stack.stack.auth.audience),
        ("code_verifier", verifier),
    ];
    post_form(stack.url("/oauth2/token"), &form).await
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn an_app_signs_in_with_a_code_and_pkce_then_refreshes() {
    let stack = LocalStack::start().await;
    let discovery = stack.get_json("/.well-known/openid-configuration", 200).await;
    assert!(discovery["authorization_endpoint"].as_str().unwrap().ends_with("/oauth2/authorize"));
    assert!(discovery["token_endpoint"].as_str().unwrap().ends_with("/oauth2/token"));
    assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));

    let redirect = stack.url("/merchant/");
    let page = client()
        .get(format!(
            "{}?{}",
            stack.url("/oauth2/authorize"),
            encode(&authorize_query(&stack, &redirect, CHALLENGE))
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"name="code_challenge" value="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM""#),
        "{html}"
    );

    let code = code(&stack, &redirect).await;
    let tokens: Value = exchange(&stack, &code, &redirect, VERIFIER).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    let me = stack
        .client
        .get(stack.url("/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["user_id"], "merchant-9");
    assert_eq!(me["shop_ids"], serde_json::json!([SHOP]));
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(claims(id_token)["nonce"], "n-7");
    assert_eq!(tokens["token_type"], "Bearer");
    for route in ["/me", "/orders"] {
        let with_id_token = stack.client.get(stack.url(route)).bearer_auth(id_token).send().await.unwrap();
        assert_eq!(with_id_token.status(), 401, "{route}: an ID token is no access token");
    }

    let again = exchange(&stack, &code, &redirect, VERIFIER).await;
    assert_eq!(again.status(), 400, "a code is used once");
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", &stack.stack.auth.audience),
    ];
    let renewed: Value = post_form(stack.url("/oauth2/token"), &form).await.json().await.unwrap();
    assert_eq!(claims(renewed["access_token"].as_str().unwrap())["sub"], "merchant-9");
    let reused = post_form(stack.url("/oauth2/token"), &form).await;
    assert_eq!(reused.status(), 400, "a refresh token is used once");
}

#[tokio::test]
async fn a_wrong_verifier_another_redirect_or_a_foreign_redirect_is_refused() {
    let stack = LocalStack::start().await;
    let redirect = stack.url("/merchant/");
    let wrong = "x".repeat(43);
    let code1 = code(&stack, &redirect).await;
    assert_eq!(
        exchange(&stack, &code1, &redirect, &wrong).await.status(),
        400,
        "a stolen code without the verifier"
    );
    let code2 = code(&stack, &redirect).await;
    assert_eq!(exchange(&stack, &code2, &stack.url("/elsewhere"), VERIFIER).await.status(), 400);

    let page = |query: Vec<(String, String)>| {
        client().get(format!("{}?{}", stack.url("/oauth2/authorize"), encode(&query))).send()
    };
    assert_eq!(
        page(authorize_query(&stack, "https://evil.example/cb", CHALLENGE)).await.unwrap().status(),
        400
    );
    let mut plain = authorize_query(&stack, &redirect, CHALLENGE);
    plain.retain(|(k, _)| k != "code_challenge_method");
    assert_eq!(page(plain).await.unwrap().status(), 400, "PKCE S256 is required");
    let mut other_client = authorize_query(&stack, &redirect, CHALLENGE);
    other_client[1].1 = "someone-else".into();
    assert_eq!(page(other_client).await.unwrap().status(), 400);
    let unknown = [("grant_type", "password")];
    let response = post_form(stack.url("/oauth2/token"), &unknown).await;
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
}
