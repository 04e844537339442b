//! The benchmarks' shared parts (the binaries are in `src/bin/`).

pub mod runtime_api;
pub mod timing_proxy;
