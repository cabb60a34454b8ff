//! `gridpatrol serve`: runs the reference command platform on a data directory.
//!
//! Owns the command line of the server (address, data directory, enrollment code, admin token,
//! grid package) and what it prints at start: the address actually bound (port 0 picks a free
//! one), the admin token and the enrollment code (each generated when not given). The platform
//! itself is `gridpatrol-platform`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use gridpatrol_platform::{Config, Platform};

use crate::{Failure, print_json};

#[derive(Parser)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the one bound is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The platform's data directory (created if missing): platform.db and photos/.
    #[arg(long)]
    data: PathBuf,
    /// The code devices enroll with; generated and printed when not given.
    #[arg(long)]
    enrollment_code: Option<String>,
    /// The bearer token of /v1/admin/*; generated and printed when not given.
    #[arg(long)]
    admin_token: Option<String>,
    /// Serve no grid package (by default the sample Wuzhong package is served and used for
    /// own-grid checks).
    #[arg(long)]
    no_grids: bool,
    /// Serve no component package (by default the sample Wuzhong component package is served).
    #[arg(long)]
    no_components: bool,
    /// Print the start-up line as one JSON object.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let admin_token = args
        .admin_token
        .clone()
        .unwrap_or_else(|| gridpatrol_platform::new_token("adm"));
    let enrollment_code = args
        .enrollment_code
        .clone()
        .unwrap_or_else(|| gridpatrol_platform::new_token("enr"));
    let mut config = Config::new(enrollment_code.clone(), admin_token.clone());
    if !args.no_grids {
        config.grid_package = Some(gridpatrol_core::grid::sample::sample_package());
    }
    if !args.no_components {
        config.component_package = Some(gridpatrol_core::component::sample::sample_package().into_bytes());
    }
    gridpatrol_platform::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime_failed", format!("cannot start the runtime: {e}"), 1))?;
    runtime.block_on(async move {
        let platform = Platform::open(&args.data, config)
            .map_err(|e| Failure::new("platform_open_failed", e.to_string(), 1))?;
        let (bound, handle) = platform
            .spawn(args.addr)
            .await
            .map_err(|e| Failure::new("bind_failed", format!("cannot listen on {}: {e}", args.addr), 1))?;
        if args.json {
            print_json(&serde_json::json!({
                "status": "ok",
                "addr": bound.to_string(),
                "url": format!("http://{bound}"),
                "admin_token": admin_token,
                "enrollment_code": enrollment_code,
            }));
        } else {
            out!("listening on http://{bound}");
            out!("admin token: {admin_token}");
            out!("enrollment code: {enrollment_code}");
        }
        let _ = tokio::signal::ctrl_c().await;
        handle.stop().await;
        Ok(())
    })
}
