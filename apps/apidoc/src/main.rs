//! `apidoc [DIR] [ROUTES_PAGE]`: writes `openapi.json` and `asyncapi.json` for a deployed stage
//! into DIR (default: the current directory), for ops to import into gateways, portals and test
//! tools; with ROUTES_PAGE, also the route table page (`docs/routes.md`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let mut documents = vec![
        (dir.join("openapi.json"), format!("{:#}\n", bookworm_apidoc::deployed_openapi())),
        (dir.join("asyncapi.json"), format!("{:#}\n", bookworm_apidoc::deployed_asyncapi())),
    ];
    if let Some(page) = std::env::args().nth(2) {
        documents.push((PathBuf::from(page), bookworm_apidoc::routes::markdown()));
    }
    for (path, text) in documents {
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("apidoc: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
