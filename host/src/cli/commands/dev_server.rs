//! `dev-server`: run the local Konecty-compatible auth server.

use anyhow::{Context, Result};
use serde_json::{Value, json};

use konecty_session::dev_server::{DevServer, DevServerConfig, DevUser};

use crate::cli::args::DevServerArgs;
use crate::cli::exit::Exit;
use crate::cli::output::{say, write_stdout};
use crate::cli::report::Report;

pub fn dev_server(args: &DevServerArgs, json: bool) -> Result<Report> {
    let config = DevServerConfig {
        listen: args.listen,
        email_otp: !args.no_email_otp,
        whatsapp_otp: !args.no_whatsapp_otp,
        users: vec![DevUser {
            id: "devUser0000000001".into(),
            name: "Dev User".into(),
            email: args.user_email.clone(),
            phone: args.user_phone.clone(),
        }],
        announce_codes: true,
        ..DevServerConfig::default()
    };
    let server =
        DevServer::start(config).with_context(|| format!("cannot listen on {}", args.listen))?;
    if json {
        let started =
            json!({"url": server.url(), "email": args.user_email, "phone": args.user_phone});
        // A reader that went away (`| head -1`) ends the server like Ctrl-C would.
        write_stdout(&format!("{started}\n"))?;
    }
    say(&format!(
        "dev-server: Konecty-compatible auth server on {} (codes are printed here, never sent)\n\
         dev-server: registered user {} / {}\n\
         dev-server: try  konecty-session --host {} login --email {}\n",
        server.url(),
        args.user_email,
        args.user_phone,
        server.url(),
        args.user_email
    ));
    server.wait();
    Ok(Report::new(Exit::Success, "", Value::Null))
}
