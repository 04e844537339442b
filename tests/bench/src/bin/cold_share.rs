//! Cold starts at Lambda's CPU share: each function's `bootstrap` runs under a CPU quota equal to
//! what its memory size buys on Lambda (MB / 1769 of one vCPU), against a local Lambda Runtime
//! API, and this prints per function and size: the CPU it burns to its first response, init,
//! first response, second (warm) response; then what each size costs per million invocations.
//!
//!   cold-share NAME=BOOTSTRAP=EVENT_FILE ...   (scripts/bench share|cold runs it; prints Markdown)
//!   cold-share --launcher                      (internal: the process inside the quota)
//!
//! The quota is a cgroup (v1) in the `cpu` and `cpuacct` hierarchies, `SHARE_CGROUP` (the script
//! creates and removes it), with a short period so that a cold start of a few milliseconds of
//! CPU cannot fit in one period's allowance: 1000 µs every 1769000 / MB µs (13820 µs at 128 MB).
//! Moving a process into a cgroup costs milliseconds, so the bootstraps are started by a
//! launcher (this binary, `--launcher`) that is moved in once and starts each bootstrap on
//! request; this harness and its Runtime API stay outside the quota. The cgroup gets the
//! largest `cpu.shares`, so that other work on the machine delays it as little as possible.
//!
//! Per cold start: *init* is launch request to the first `GET /next`, *first response* launch
//! request to the first answer, *CPU* the cgroup's CPU time (`cpuacct.usage`: every thread,
//! nanoseconds) from before the launch until the function waits for its second event, *second
//! response* that event (handed over three periods later, the quota refilled) to its answer:
//! what Lambda bills for a warm invocation.
//!
//! Environment: `SHARE_CGROUP` (required), `SHARE_MEMORY` (MB, default `128 256 512 1024`),
//! `SHARE_COLD_STARTS` (per cell, default 10), `FUNCTION_ENVIRONMENT` (the variables passed to
//! the function, as for `coldstart`), `PLAIN_ENDPOINT_URL` (optional: the same AWS endpoint over
//! plain HTTP, for a TLS against plain HTTP table at the smallest size), `SHARE_INIT_BURST=1`
//! (no quota until the first `GET /next`: init at full speed, as on-demand Lambda's init is
//! reported to run; what connection warm-up at init exploits), `SHARE_EVICT` (files, separated
//! by white space, dropped from the page cache before each launch: a Lambda layer read from
//! disk on a cold start, not from this machine's memory). The first spec is the floor the
//! others are compared with.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path as FsPath, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use bench::runtime_api::{Api, Seen, lambda_environment, percentile, specs};

/// Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion below that.
const FULL_VCPU_MB: u64 = 1769;
/// The quota per period; the period is scaled to the share.
const QUOTA_US: u64 = 1000;
/// Lambda arm64, us-east-1.
const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;
/// The share of invocations that are cold starts in the blended cost ("under 1 %" in AWS's
/// analysis of production workloads, the INIT billing announcement of 2025).
const COLD_FRACTION: f64 = 0.01;
/// A bigger size is recommended when it shortens the cold start and costs at most this much
/// more than the cheapest (blended): at these durations, about 2 cents per million invocations.
const RECOMMEND_WITHIN: f64 = 0.10;
/// Cold starts closer than this (or 10 %) count as the same: the smaller size is recommended.
const SAME_COLD_START: Duration = Duration::from_millis(1);
const TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The launcher: inside the quota, starts and stops bootstraps on request.

/// Requests, one a line on stdin: `spawn\tPROGRAM\tNAME=VALUE...` (answers the pid) and
/// `kill\tPID` (kills and reaps it; answers `ok`). Exits, killing what it started, at EOF.
fn launcher() {
    let mut replies = std::io::stdout().lock();
    let mut children: HashMap<u32, Child> = HashMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut fields = line.split('\t');
        let reply = match (fields.next(), fields.next()) {
            (Some("spawn"), Some(program)) => {
                let mut command = Command::new(program);
                command.env_clear().stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
                command.envs(fields.filter_map(|pair| pair.split_once('=')));
                match command.spawn() {
                    Ok(child) => {
                        let pid = child.id();
                        children.insert(pid, child);
                        pid.to_string()
                    }
                    Err(e) => format!("error {program}: {e}"),
                }
            }
            (Some("kill"), Some(pid)) => {
                if let Some(mut child) = pid.parse().ok().and_then(|pid| children.remove(&pid)) {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                "ok".to_owned()
            }
            _ => format!("error unknown request {line}"),
        };
        if writeln!(replies, "{reply}").and_then(|()| replies.flush()).is_err() {
            break;
        }
    }
    for child in children.values_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

struct Launcher {
    process: Child,
    /// `None` once closed (which ends the launcher).
    requests: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
}

impl Launcher {
    /// Starts the launcher and moves it into the cgroup (once: the move is the slow part).
    fn start(cgroup: &Cgroup) -> Launcher {
        let exe = std::env::current_exe().expect("own path");
        let mut process = Command::new(exe)
            .arg("--launcher")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the launcher");
        cgroup.adopt(process.id());
        let requests = process.stdin.take();
        let replies = BufReader::new(process.stdout.take().expect("launcher stdout"));
        std::thread::sleep(Duration::from_millis(100));
        Launcher { process, requests, replies }
    }

    fn ask(&mut self, request: &str) -> String {
        let requests = self.requests.as_mut().expect("launcher stdin");
        writeln!(requests, "{request}").and_then(|()| requests.flush()).expect("launcher gone");
        let mut reply = String::new();
        self.replies.read_line(&mut reply).expect("launcher reply");
        reply.trim_end().to_owned()
    }

    fn spawn(&mut self, program: &str, environment: &[(String, String)]) -> Result<u32, String> {
        let mut request = format!("spawn\t{program}");
        for (name, value) in environment {
            request.push_str(&format!("\t{name}={value}"));
        }
        let reply = self.ask(&request);
        reply.parse().map_err(|_| reply)
    }

    fn kill(&mut self, pid: u32) {
        self.ask(&format!("kill\t{pid}"));
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // EOF on its stdin ends it, after it has killed what it started.
        self.requests.take();
        let _ = self.process.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The cgroup.

struct Cgroup {
    cpu: PathBuf,
    cpuacct: PathBuf,
}

impl Cgroup {
    fn from_env() -> Cgroup {
        let name = std::env::var("SHARE_CGROUP").expect("SHARE_CGROUP names the cgroup to use");
        let root = PathBuf::from(std::env::var("SHARE_CGROUP_ROOT").unwrap_or("/sys/fs/cgroup".into()));
        let cgroup = Cgroup { cpu: root.join("cpu").join(&name), cpuacct: root.join("cpuacct").join(&name) };
        for dir in [&cgroup.cpu, &cgroup.cpuacct] {
            assert!(dir.is_dir(), "{} does not exist (cgroup v1, created by the script)", dir.display());
        }
        // First in line for a core whenever it has quota left, as a Lambda sandbox's share is
        // its own: other work on this machine then stretches the figures less. The quota still
        // caps what it takes from that work.
        write(&cgroup.cpu.join("cpu.shares"), "262144");
        cgroup
    }

    /// Sets the quota for `memory_mb`; returns (quota, period) in µs.
    fn set_share(&self, memory_mb: u64) -> (u64, u64) {
        let (quota, period) = share(memory_mb);
        write(&self.cpu.join("cpu.cfs_quota_us"), "-1");
        write(&self.cpu.join("cpu.cfs_period_us"), &period.to_string());
        write(&self.cpu.join("cpu.cfs_quota_us"), &quota.to_string());
        (quota, period)
    }

    fn adopt(&self, pid: u32) {
        for dir in [&self.cpu, &self.cpuacct] {
            write(&dir.join("cgroup.procs"), &pid.to_string());
        }
    }

    /// CPU time of every task that ran in the cgroup, exited ones included.
    fn usage(&self) -> Duration {
        let ns = std::fs::read_to_string(self.cpuacct.join("cpuacct.usage")).expect("cpuacct.usage");
        Duration::from_nanos(ns.trim().parse().expect("cpuacct.usage is a number"))
    }

    /// Periods in which the cgroup ran out of quota.
    fn throttled(&self) -> u64 {
        let stat = std::fs::read_to_string(self.cpu.join("cpu.stat")).expect("cpu.stat");
        stat.lines()
            .find_map(|line| line.strip_prefix("nr_throttled "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// (quota, period) in µs for `memory_mb`: 1000 µs of CPU per period, the period scaled to the
/// share; from 1,769 MB on (a vCPU or more), a 1000 µs period and the quota scaled instead.
fn share(memory_mb: u64) -> (u64, u64) {
    if memory_mb < FULL_VCPU_MB {
        (QUOTA_US, (QUOTA_US * FULL_VCPU_MB + memory_mb / 2) / memory_mb)
    } else {
        ((QUOTA_US * memory_mb + FULL_VCPU_MB / 2) / FULL_VCPU_MB, QUOTA_US)
    }
}

fn write(path: &FsPath, value: &str) {
    std::fs::write(path, value).unwrap_or_else(|e| panic!("write {value} to {}: {e}", path.display()));
}

/// Drops `SHARE_EVICT`'s files from the page cache (GNU dd: `iflag=nocache count=0` advises
/// the kernel to drop the whole file), so the next start reads them from disk.
fn evict_from_page_cache() {
    for file in std::env::var("SHARE_EVICT").unwrap_or_default().split_whitespace() {
        let status = Command::new("dd")
            .args([&format!("if={file}"), "iflag=nocache", "count=0"])
            .stderr(Stdio::null())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "could not drop {file} from the page cache");
    }
}

/// Waits until no thread of `pid` is running or runnable (a throttled thread is runnable), so
/// that its CPU time has all been accounted.
fn wait_idle(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let tasks = PathBuf::from(format!("/proc/{pid}/task"));
    while Instant::now() < deadline {
        let Ok(entries) = std::fs::read_dir(&tasks) else { return };
        let busy = entries.flatten().any(|task| {
            std::fs::read_to_string(task.path().join("stat"))
                .ok()
                // The state follows the command name, which is in parentheses.
                .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| rest.starts_with('R')))
                .unwrap_or(false)
        });
        if !busy {
            return;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

// ---------------------------------------------------------------------------------------------
// Waiting on the function.

/// The next thing the function did; an error when it did nothing for `TIMEOUT` or exited
/// (a function that fails before it reaches the Runtime API never reports it).
async fn wait(api: &mut Api, what: &str, pid: u32) -> Result<Seen, String> {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(seen) = tokio::time::timeout(Duration::from_millis(100), api.seen.recv()).await {
            return seen.ok_or_else(|| "the Runtime API stopped".to_owned());
        }
        if exited(pid) {
            return Err(format!("exited before its {what}"));
        }
    }
    Err(format!("no {what} within {} s", TIMEOUT.as_secs()))
}

/// Whether `pid` (a child of the launcher, not reaped until killed) has exited.
fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| rest.starts_with(['Z', 'X'])))
        .unwrap_or(true)
}

// ---------------------------------------------------------------------------------------------
// Measuring.

struct Sample {
    cpu: Duration,
    init: Duration,
    first: Duration,
    second: Duration,
    throttled: u64,
    errors: usize,
}

#[derive(Default)]
struct Cell {
    cpu: Vec<Duration>,
    init: Vec<Duration>,
    first: Vec<Duration>,
    second: Vec<Duration>,
    throttled: Vec<u64>,
    errors: usize,
    failures: usize,
    status: Option<String>,
    note: Option<String>,
}

struct Harness {
    cgroup: Cgroup,
    launcher: Launcher,
    /// Init runs without the quota (`SHARE_INIT_BURST=1`), as on-demand Lambda's init is said to.
    init_burst: bool,
}

impl Harness {
    async fn cold_start(
        &mut self,
        bootstrap: &str,
        event: &str,
        memory_mb: u64,
        overrides: &[(String, String)],
    ) -> (Result<Sample, String>, Option<String>, Option<String>) {
        // An init burst: no quota until the function asks for its first event.
        let quota_after_init = self.init_burst.then(|| {
            let (quota, _) = share(memory_mb);
            let file = self.cgroup.cpu.join("cpu.cfs_quota_us");
            write(&file, "-1");
            Box::new(move || write(&file, &quota.to_string())) as Box<dyn Fn() + Send + Sync>
        });
        let mut api = Api::start(quota_after_init).await;
        let environment = lambda_environment(memory_mb, &api.address, overrides);
        evict_from_page_cache();
        let _ = api.invoke.send(event.to_owned());
        let (cpu_before, throttled_before) = (self.cgroup.usage(), self.cgroup.throttled());
        let started = Instant::now();
        let pid = match self.launcher.spawn(bootstrap, &environment) {
            Ok(pid) => pid,
            Err(e) => return (Err(e), None, None),
        };
        let sample = async {
            let mut errors = 0;
            let init = loop {
                match wait(&mut api, "first GET /next", pid).await? {
                    Seen::Next(at) => break at - started,
                    Seen::Response(_, _) => return Err("init error".to_owned()),
                    Seen::Handed(_) => {}
                }
            };
            let first = loop {
                if let Seen::Response(at, ok) = wait(&mut api, "first response", pid).await? {
                    errors += usize::from(!ok);
                    break at - started;
                }
            };
            while !matches!(wait(&mut api, "second GET /next", pid).await?, Seen::Next(_)) {}
            wait_idle(pid);
            let cpu = self.cgroup.usage().saturating_sub(cpu_before);
            let throttled = self.cgroup.throttled() - throttled_before;
            // The second event comes a little later, as a warm invocation does, not into a
            // period whose quota the cold start used up: its duration is the function's.
            let (_, period) = share(memory_mb);
            tokio::time::sleep(Duration::from_micros(3 * period).max(Duration::from_millis(20))).await;
            let _ = api.invoke.send(event.to_owned());
            let handed = loop {
                if let Seen::Handed(at) = wait(&mut api, "second event handed over", pid).await? {
                    break at;
                }
            };
            let second = loop {
                if let Seen::Response(at, ok) = wait(&mut api, "second response", pid).await? {
                    errors += usize::from(!ok);
                    break at - handed;
                }
            };
            Ok(Sample { cpu, init, first, second, throttled, errors })
        }
        .await;
        self.launcher.kill(pid);
        let status = api.first_status().await;
        let error = api.first_error().await;
        (sample, status, error)
    }

    async fn cell(
        &mut self,
        bootstrap: &str,
        event: &str,
        memory_mb: u64,
        cold_starts: usize,
        overrides: &[(String, String)],
    ) -> Cell {
        self.cgroup.set_share(memory_mb);
        let mut cell = Cell::default();
        for _ in 0..cold_starts {
            let (sample, status, error) = self.cold_start(bootstrap, event, memory_mb, overrides).await;
            match sample {
                Ok(s) => {
                    cell.cpu.push(s.cpu);
                    cell.init.push(s.init);
                    cell.first.push(s.first);
                    cell.second.push(s.second);
                    cell.throttled.push(s.throttled);
                    cell.errors += s.errors;
                }
                Err(e) => {
                    cell.failures += 1;
                    cell.note.get_or_insert(e);
                }
            }
            if cell.status.is_none() {
                cell.status = status;
            }
            if let Some(error) = error {
                cell.note.get_or_insert(error);
            }
            // Quota refilled and the killed process's sockets gone before the next start.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cell
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(|| "–".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
}

/// Billed milliseconds: Lambda rounds each duration up to the millisecond.
fn billed_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).ceil().max(1.0)
}

fn cost_per_million(memory_mb: u64, billed_ms: f64) -> f64 {
    PRICE_PER_MILLION_REQUESTS
        + 1e6 * (memory_mb as f64 / 1024.0) * (billed_ms / 1000.0) * PRICE_PER_GB_SECOND
}

struct Row {
    name: String,
    cells: Vec<(u64, Cell)>,
    plain: Option<Cell>,
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--launcher") {
        return launcher();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let memory: Vec<u64> = std::env::var("SHARE_MEMORY")
        .unwrap_or("128 256 512 1024".into())
        .split_whitespace()
        .map(|mb| mb.parse().expect("SHARE_MEMORY: megabytes"))
        .collect();
    let cold_starts: usize =
        std::env::var("SHARE_COLD_STARTS").ok().and_then(|n| n.parse().ok()).unwrap_or(10);
    let plain = std::env::var("PLAIN_ENDPOINT_URL").ok().filter(|url| !url.is_empty());
    let cgroup = Cgroup::from_env();
    let launcher = Launcher::start(&cgroup);
    let init_burst = std::env::var("SHARE_INIT_BURST").is_ok_and(|v| v == "1");
    let mut harness = Harness { cgroup, launcher, init_burst };

    let mut rows = Vec::new();
    for spec in specs() {
        let (name, bootstrap, event) = (&spec.name, &spec.bootstrap, &spec.event);
        let mut row = Row { name: name.clone(), cells: Vec::new(), plain: None };
        for &mb in &memory {
            eprintln!("cold-share: {name} at {mb} MB");
            row.cells.push((mb, harness.cell(bootstrap, event, mb, cold_starts, &[]).await));
        }
        if let (Some(url), Some(&smallest)) = (&plain, memory.first()) {
            // The same endpoint over plain HTTP; WEBSOCKET_ENDPOINT too where it is the same.
            let tls = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
            let mut overrides = vec![("AWS_ENDPOINT_URL".to_owned(), url.clone())];
            if std::env::var("WEBSOCKET_ENDPOINT").is_ok_and(|ws| ws == tls) {
                overrides.push(("WEBSOCKET_ENDPOINT".to_owned(), url.clone()));
            }
            eprintln!("cold-share: {name} at {smallest} MB, plain HTTP");
            row.plain = Some(harness.cell(bootstrap, event, smallest, cold_starts, &overrides).await);
        }
        rows.push(row);
    }
    report(&rows, &memory, cold_starts, init_burst);
}

fn report(rows: &[Row], memory: &[u64], cold_starts: usize, init_burst: bool) {
    let Some((floor, functions)) = rows.split_first() else { return };
    let floor_cpu: HashMap<u64, Duration> =
        floor.cells.iter().filter_map(|(mb, cell)| Some((*mb, percentile(&cell.cpu, 0.5)?))).collect();
    let periods: Vec<String> = memory
        .iter()
        .map(|&mb| {
            let (quota, period) = share(mb);
            format!("{mb} MB: {quota} µs per {period} µs")
        })
        .collect();

    println!("### Cold starts at Lambda's CPU share ({cold_starts} cold starts per cell)");
    println!();
    println!("CPU quota per memory size (MB / 1769 of a vCPU): {}.", periods.join(", "));
    if init_burst {
        println!();
        println!("**Init burst**: no quota until the function's first `GET /next` (init unthrottled).");
    }
    println!();
    println!(
        "| function | memory | CPU to first response p50 | p90 | CPU / floor | init p50 | first response p50 | first response p90 | second response p50 | throttled periods p50 | answer | errors |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut notes = Vec::new();
    for row in rows {
        for (mb, cell) in &row.cells {
            let cpu = percentile(&cell.cpu, 0.5);
            let ratio = match (cpu, floor_cpu.get(mb)) {
                (Some(cpu), Some(floor)) => {
                    format!("{:.2}×", cpu.as_secs_f64() / floor.as_secs_f64().max(1e-9))
                }
                _ => "–".to_owned(),
            };
            let throttled = percentile(&cell.throttled, 0.5).map_or("–".to_owned(), |n| n.to_string());
            println!(
                "| {} | {mb} MB | {} | {} | {ratio} | {} | {} | {} | {} | {throttled} | {} | {} |",
                row.name,
                ms(cpu),
                ms(percentile(&cell.cpu, 0.9)),
                ms(percentile(&cell.init, 0.5)),
                ms(percentile(&cell.first, 0.5)),
                ms(percentile(&cell.first, 0.9)),
                ms(percentile(&cell.second, 0.5)),
                cell.status.as_deref().unwrap_or("–"),
                if cell.failures > 0 {
                    format!("{} (+{} failed)", cell.errors, cell.failures)
                } else {
                    cell.errors.to_string()
                },
            );
            if let Some(note) = &cell.note {
                notes.push(format!("- {} at {mb} MB: {note}…", row.name));
            }
        }
    }
    if !notes.is_empty() {
        println!("\nFirst error per cell that had any:\n{}", notes.join("\n"));
    }
    println!();

    // TLS against plain HTTP at the smallest size.
    if rows.iter().any(|row| row.plain.is_some()) {
        let smallest = memory[0];
        println!("### TLS against plain HTTP to the AWS endpoint at {smallest} MB");
        println!();
        println!(
            "| function | CPU p50, TLS | CPU p50, HTTP | CPU of TLS | first response p50, TLS | first response p50, HTTP | cost of TLS to the first response |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for row in rows {
            let (Some((_, tls)), Some(plain)) = (row.cells.first(), &row.plain) else { continue };
            let difference = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                (Some(a), Some(b)) => format!("{:+.1} ms", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0),
                _ => "–".to_owned(),
            };
            let (cpu_tls, cpu_plain) = (percentile(&tls.cpu, 0.5), percentile(&plain.cpu, 0.5));
            let (first_tls, first_plain) = (percentile(&tls.first, 0.5), percentile(&plain.first, 0.5));
            println!(
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.name,
                ms(cpu_tls),
                ms(cpu_plain),
                difference(cpu_tls, cpu_plain),
                ms(first_tls),
                ms(first_plain),
                difference(first_tls, first_plain),
            );
        }
        println!();
    }

    // Cost per million invocations.
    println!("### Memory size and cost per million invocations");
    println!();
    println!(
        "Lambda arm64, us-east-1: ${PRICE_PER_GB_SECOND} per GB-second, ${PRICE_PER_MILLION_REQUESTS:.2} per million requests; each duration rounded up to the millisecond as billed. *Warm*: the second response p50 (event handed over to answer). *Cold*: the first response p50 from process start, init included (a custom runtime's init is billed). *Blended*: {:.0} % of invocations cold. Durations are this machine's x86_64 at the share, priced at arm64 rates. **fastest**: the shortest cold first response; **cheapest**: the lowest blended cost; **recommended**: the smallest size with the fastest cold start (within 1 ms or 10 %) among those within {:.0} % of the cheapest.",
        COLD_FRACTION * 100.0,
        RECOMMEND_WITHIN * 100.0,
    );
    println!();
    println!(
        "| function | memory | warm p50 (billed) | $ / M warm | cold first response p50 (billed) | $ / M all cold | $ / M blended | |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let mut recommendations = Vec::new();
    for row in functions {
        struct Priced {
            mb: u64,
            warm: Duration,
            cold: Duration,
            warm_cost: f64,
            cold_cost: f64,
            blended: f64,
        }
        let priced: Vec<Priced> = row
            .cells
            .iter()
            .filter_map(|(mb, cell)| {
                let (warm, cold) = (percentile(&cell.second, 0.5)?, percentile(&cell.first, 0.5)?);
                let (warm_cost, cold_cost) =
                    (cost_per_million(*mb, billed_ms(warm)), cost_per_million(*mb, billed_ms(cold)));
                let blended = (1.0 - COLD_FRACTION) * warm_cost + COLD_FRACTION * cold_cost;
                Some(Priced { mb: *mb, warm, cold, warm_cost, cold_cost, blended })
            })
            .collect();
        let fastest = priced.iter().min_by_key(|p| p.cold).map(|p| p.mb);
        let cheapest = priced.iter().min_by(|a, b| a.blended.total_cmp(&b.blended));
        let recommended = cheapest.and_then(|cheapest| {
            let affordable: Vec<&Priced> =
                priced.iter().filter(|p| p.blended <= cheapest.blended * (1.0 + RECOMMEND_WITHIN)).collect();
            let best = affordable.iter().map(|p| p.cold).min()?;
            // The smallest of those whose cold start is as good as the best, give or take noise.
            let good_enough = best + (best / 10).max(SAME_COLD_START);
            let chosen = affordable.iter().filter(|p| p.cold <= good_enough).min_by_key(|p| p.mb)?;
            Some((cheapest, *chosen))
        });
        for p in &priced {
            let mut marks = Vec::new();
            if Some(p.mb) == fastest {
                marks.push("fastest");
            }
            if cheapest.is_some_and(|c| c.mb == p.mb) {
                marks.push("cheapest");
            }
            if recommended.is_some_and(|(_, r)| r.mb == p.mb) {
                marks.push("**recommended**");
            }
            println!(
                "| {} | {} MB | {:.1} ms ({:.0} ms) | ${:.4} | {:.1} ms ({:.0} ms) | ${:.4} | ${:.4} | {} |",
                row.name,
                p.mb,
                p.warm.as_secs_f64() * 1000.0,
                billed_ms(p.warm),
                p.warm_cost,
                p.cold.as_secs_f64() * 1000.0,
                billed_ms(p.cold),
                p.cold_cost,
                p.blended,
                marks.join(", "),
            );
        }
        if let Some((cheapest, chosen)) = recommended {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let extra = |p: &Priced| (p.blended / cheapest.blended - 1.0) * 100.0;
            let reason = if chosen.mb == cheapest.mb {
                let faster = priced.iter().filter(|p| p.mb > chosen.mb).min_by_key(|p| p.cold);
                match faster {
                    Some(bigger) if bigger.cold + (chosen.cold / 10).max(SAME_COLD_START) < chosen.cold => {
                        format!(
                            "cheapest; {} MB would cut the cold first response {:.1} → {:.1} ms but costs {:+.1} %",
                            bigger.mb,
                            ms(chosen.cold),
                            ms(bigger.cold),
                            extra(bigger)
                        )
                    }
                    _ => "cheapest; no bigger size starts faster beyond noise".to_owned(),
                }
            } else {
                format!(
                    "cold first response {:.1} → {:.1} ms against {} MB for {:+.1} % (blended)",
                    ms(cheapest.cold),
                    ms(chosen.cold),
                    cheapest.mb,
                    extra(chosen)
                )
            };
            recommendations.push(format!("| {} | {} MB | {reason} |", row.name, chosen.mb));
        }
    }
    println!();
    println!("| function | recommended MemorySize | why |");
    println!("| --- | ---: | --- |");
    for line in &recommendations {
        println!("{line}");
    }
    println!();

    // The goals.
    let smallest = memory[0];
    let mut cpu_worst: Option<(f64, &str, u64)> = None;
    let mut cpu_over = Vec::new();
    let mut first_over = Vec::new();
    let mut first_worst: Option<(Duration, &str)> = None;
    for row in functions {
        for (mb, cell) in &row.cells {
            let (Some(cpu), Some(floor)) = (percentile(&cell.cpu, 0.5), floor_cpu.get(mb)) else { continue };
            let ratio = cpu.as_secs_f64() / floor.as_secs_f64().max(1e-9);
            if cpu_worst.is_none_or(|(worst, _, _)| ratio > worst) {
                cpu_worst = Some((ratio, &row.name, *mb));
            }
            if *mb == smallest && ratio > 1.5 {
                cpu_over.push(format!("{} {ratio:.2}×", row.name));
            }
        }
        if let Some(first) =
            row.cells.iter().find(|(mb, _)| *mb == smallest).and_then(|(_, c)| percentile(&c.first, 0.5))
        {
            if first_worst.is_none_or(|(worst, _)| first > worst) {
                first_worst = Some((first, &row.name));
            }
            if first > Duration::from_millis(30) {
                first_over.push(format!("{} {}", row.name, ms(Some(first))));
            }
        }
    }
    let verdict = |over: &[String]| if over.is_empty() { "met" } else { "**missed**" };
    println!("| goal | measured | |");
    println!("| --- | --- | --- |");
    if let Some((ratio, name, mb)) = cpu_worst {
        println!(
            "| CPU to first response ≤ 1.5× the floor's ({smallest} MB cells) | floor {}; {} over: {}; worst cell of all sizes {name} at {mb} MB, {ratio:.2}× | {} |",
            ms(floor_cpu.get(&smallest).copied()),
            cpu_over.len(),
            if cpu_over.is_empty() { "none".to_owned() } else { cpu_over.join(", ") },
            verdict(&cpu_over),
        );
    }
    if let Some((worst, name)) = first_worst {
        println!(
            "| first response ≤ 30 ms at {smallest} MB over TLS (p50) | {} over: {}; slowest {name} {} | {} |",
            first_over.len(),
            if first_over.is_empty() { "none".to_owned() } else { first_over.join(", ") },
            ms(Some(worst)),
            verdict(&first_over),
        );
    }
    println!();
}
