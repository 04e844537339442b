//! The development-only routes (`/_local/*`, `/@connections/*`) through the real binary: a
//! web page cannot reach them by DNS rebinding (Host check) or by posting across sites (Origin
//! check), and `serve --host 0.0.0.0` keeps them off unless `--expose-dev-routes` asks, then
//! warns. Every request goes to 127.0.0.1, whatever the stack is bound to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{banner_address, local};

/// A running `bookworm-local serve`, reached on 127.0.0.1 at the port it printed.
struct Served {
    child: Child,
    /// `127.0.0.1:PORT`, whatever address it listens on.
    address: String,
    /// What the banner printed after `http://` (`0.0.0.0:PORT` on a wildcard bind).
    listening: String,
    _stdout: BufReader<ChildStdout>,
    _data: tempfile::TempDir,
}

fn serve(args: &[&str]) -> Served {
    let data = tempfile::tempdir().unwrap();
    let mut child = local()
        .args(["serve", "--port", "0"])
        .args(args)
        .env("DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bookworm-local");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("banner");
    let Some(listening) = banner_address(&first) else {
        let _ = child.kill();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let _ = child.wait();
        panic!("no address in {first:?}; stderr: {stderr}");
    };
    let port = listening.rsplit(':').next().unwrap().to_owned();
    Served {
        address: format!("127.0.0.1:{port}"),
        listening: listening.to_owned(),
        child,
        _stdout: stdout,
        _data: data,
    }
}

impl Served {
    /// Stops it with SIGTERM and returns what it wrote to stderr.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                assert!(status.success(), "exit {status}: {stderr}");
                return stderr;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("bookworm-local did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `method path` with exactly these headers (no Host unless given), to 127.0.0.1.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: 5\r\n");
        for (name, value) in headers {
            request += &format!("{name}: {value}\r\n");
        }
        request += "\r\nhello";
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        Answer { status, head: head.to_ascii_lowercase(), body: body.to_owned() }
    }

    /// The same with `Host: host`.
    fn send_as(&self, host: &str, method: &str, path: &str) -> Answer {
        self.send(method, path, &[("Host", host)])
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    /// Status line and headers, lower-cased.
    head: String,
    body: String,
}

impl Answer {
    fn is_problem(&self) -> bool {
        self.head.contains("content-type: application/problem+json")
    }
}

#[test]
fn dev_routes_answer_loopback_hosts_only() {
    let served = serve(&[]);
    let own = served.address.clone();
    let port = own.rsplit(':').next().unwrap().to_owned();

    // What a page on evil.example whose name was rebound to 127.0.0.1 sends.
    let outbox = served.send_as("evil.example", "GET", "/_local/outbox");
    let with_port = served.send_as(&format!("evil.example:{port}"), "GET", "/_local/outbox");
    let post = served.send_as(&format!("evil.example:{port}"), "POST", "/@connections/abc123");
    let delete = served.send_as("evil.example", "DELETE", "/@connections/abc123");
    let look = served.send_as("evil.example", "GET", "/@connections/abc123");
    let no_host = served.send("GET", "/_local/outbox", &[]);
    // A cross-site POST (no preflight) carries an allowed Host but the page's Origin.
    let cross_site = served.send(
        "POST",
        "/@connections/abc123",
        &[("Host", own.as_str()), ("Origin", "https://evil.example")],
    );

    let allowed_outbox: Vec<(String, Answer)> =
        [own.clone(), format!("localhost:{port}"), "LocalHost".to_owned(), format!("[::1]:{port}")]
            .into_iter()
            .map(|host| {
                let answer = served.send_as(&host, "GET", "/_local/outbox");
                (host, answer)
            })
            .collect();
    let allowed_post = served.send_as(&own, "POST", "/@connections/abc123");
    let local_page = served.send(
        "POST",
        "/@connections/abc123",
        &[("Host", own.as_str()), ("Origin", "http://localhost:5173")],
    );
    // The API itself does not check Host (see server.rs): it is token-protected where it matters.
    let health = served.send_as("evil.example", "GET", "/health");
    let books = served.send_as("evil.example", "GET", "/books?limit=1");
    served.stop();

    for refused in [&outbox, &with_port, &post, &delete, &look, &no_host] {
        assert_eq!(refused.status, 403, "{refused:?}");
        assert!(refused.is_problem(), "{refused:?}");
        assert!(refused.body.contains("\"title\":\"Forbidden\""), "{refused:?}");
        assert!(refused.body.contains("Host"), "the detail names the Host check: {refused:?}");
    }
    assert!(outbox.body.contains("evil.example"), "{outbox:?}");
    assert_eq!(cross_site.status, 403, "{cross_site:?}");
    assert!(cross_site.is_problem() && cross_site.body.contains("Origin"), "{cross_site:?}");

    for (host, answer) in &allowed_outbox {
        assert_eq!(answer.status, 200, "Host: {host}: {answer:?}");
        assert!(answer.body.contains("\"items\""), "Host: {host}: {answer:?}");
    }
    // Past the check: no socket has that id, so the management API itself says 410 Gone.
    assert_eq!(allowed_post.status, 410, "{allowed_post:?}");
    assert_eq!(local_page.status, 410, "{local_page:?}");
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(books.status, 200, "{books:?}");
}

#[test]
fn a_wildcard_bind_serves_the_api_but_not_the_dev_routes() {
    let served = serve(&["--host", "0.0.0.0"]);
    assert!(served.listening.starts_with("0.0.0.0:"), "{}", served.listening);
    let own = served.address.clone();
    let outbox = served.send_as(&own, "GET", "/_local/outbox");
    let post = served.send_as(&own, "POST", "/@connections/abc123");
    let health = served.send_as(&own, "GET", "/health");
    let books = served.send_as(&own, "GET", "/books?limit=1");
    let stderr = served.stop();

    for off in [&outbox, &post] {
        assert_eq!(off.status, 404, "{off:?}");
        assert!(off.is_problem(), "{off:?}");
        assert!(off.body.contains("--expose-dev-routes"), "the answer says how to turn them on: {off:?}");
    }
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(books.status, 200, "{books:?}");
    assert!(stderr.contains("0.0.0.0"), "{stderr}");
    assert!(stderr.contains("/_local/") && stderr.contains("/@connections/"), "{stderr}");
    assert!(stderr.contains("--expose-dev-routes"), "{stderr}");
    assert!(!stderr.contains("WARNING"), "nothing dangerous is served: {stderr}");
}

#[test]
fn expose_dev_routes_serves_them_on_a_wildcard_bind_and_warns() {
    let served = serve(&["--host", "0.0.0.0", "--expose-dev-routes"]);
    let own = served.address.clone();
    let outbox = served.send_as(&own, "GET", "/_local/outbox");
    let post = served.send_as(&own, "POST", "/@connections/abc123");
    // Exposed to the network is not exposed to web pages: the Host check still holds.
    let rebound = served.send_as("evil.example", "GET", "/_local/outbox");
    let stderr = served.stop();

    assert_eq!(outbox.status, 200, "{outbox:?}");
    assert_eq!(post.status, 410, "{post:?}");
    assert_eq!(rebound.status, 403, "{rebound:?}");
    assert!(stderr.contains("WARNING"), "{stderr}");
    assert!(stderr.contains("/_local/outbox") && stderr.contains("/@connections/"), "{stderr}");
    assert!(stderr.contains("0.0.0.0"), "{stderr}");
}

#[test]
fn expose_dev_routes_on_loopback_changes_nothing_and_does_not_warn() {
    let served = serve(&["--expose-dev-routes"]);
    let own = served.address.clone();
    let outbox = served.send_as(&own, "GET", "/_local/outbox");
    let stderr = served.stop();
    assert_eq!(outbox.status, 200, "{outbox:?}");
    assert!(!stderr.contains("WARNING"), "{stderr}");
}

#[test]
fn pushing_through_connections_needs_them_served() {
    let data = tempfile::tempdir().unwrap();
    let mut child = local()
        .args(["serve", "--port", "0", "--host", "0.0.0.0", "--push", "management-api"])
        .env("DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bookworm-local");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bookworm-local served instead of refusing to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("management-api") && stderr.contains("--expose-dev-routes"), "{stderr}");
    assert!(stdout.is_empty(), "it never served: {stdout}");
}

#[test]
fn the_help_explains_the_flag() {
    let help = local().args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--expose-dev-routes"), "{text}");
    assert!(text.contains("/_local/") && text.contains("/@connections/"), "{text}");
}
