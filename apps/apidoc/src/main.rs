//! `apidoc [DIR]`: writes `openapi.json` and `asyncapi.json` for a deployed stage into DIR
//! (default: the current directory), for ops to import into gateways, portals and test tools.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let documents = [
        ("openapi.json", bookworm_apidoc::deployed_openapi()),
        ("asyncapi.json", bookworm_apidoc::deployed_asyncapi()),
    ];
    for (name, document) in documents {
        let path = dir.join(name);
        let text = format!("{:#}\n", document);
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("apidoc: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
