//! From the command line to a [`Cli`], or to what the user must change: clap's errors as one
//! line that keeps their point (which arguments, which values, a similar command), the
//! command list when no command was given, and a refusal of options the command would
//! ignore. Which global options each command honours is written once, here, and decides both
//! that refusal and which options the command's `--help` shows.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::args::Cli;
use crate::cli::exit::{Failure, Kind};
use crate::cli::output;

/// What parsing ended with.
pub enum Parsed {
    Run(Cli),
    /// clap answered (`--help`, `--version`) or the command list was shown: exit with this.
    Answered(Kind),
    Done,
}

/// The options that shape requests to the server.
const NETWORK: [&str; 7] = [
    "timeout",
    "allow_insecure_http",
    "resolve",
    "proxy",
    "no_proxy",
    "cacert",
    "allow_private_network",
];

/// Whether `command` honours the global option `id`, and if not, why not (in words that
/// follow "it").
pub fn why_not(command: &str, id: &str) -> Option<&'static str> {
    let network = NETWORK.contains(&id);
    match command {
        // Every command answers in JSON with it; mcp always does (its stdout is JSON-RPC).
        _ if id == "json" => None,
        "login" | "login-options" | "request-otp" | "verify-otp" | "status" | "logout" | "mcp" => {
            None
        }
        // --verbose logs requests; --audit, requests and changed files.
        "token" | "env" if network || matches!(id, "verbose" | "audit") => {
            Some("reads the stored session and sends no request")
        }
        "token" | "env" => None,
        "use" if id == "host" => Some("takes the host as its argument"),
        "use" if network || id == "verbose" => {
            Some("edits the stored sessions and sends no request")
        }
        "use" => None,
        "demo" if matches!(id, "dir" | "component" | "verbose" | "audit") => None,
        "demo" => Some("runs against its own built-in server"),
        "dev-server" => Some("is the server, not a client of one"),
        "completions" => Some("only prints a script"),
        _ => None,
    }
}

/// The clap command, with each subcommand's help showing only the global options it
/// honours: a subcommand gets its own hidden copy of the others, which clap then does not
/// propagate over (hiding the propagated one after `build` breaks clap's parsing).
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |mut sub| {
            for arg in &globals {
                if why_not(&name, arg.get_id().as_str()).is_some() {
                    sub = sub.arg(arg.clone().hide(true));
                }
            }
            sub
        });
    }
    command
}

/// Parses `args` (the program's name first). `json`: --json was on the command line, so
/// answers that are not a [`Cli`] come as JSON too.
pub fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    json: bool,
) -> anyhow::Result<Parsed> {
    let mut command = command();
    let matches = match command.try_get_matches_from_mut(args) {
        Ok(matches) => matches,
        Err(err) => return answer(&mut command, err, json),
    };
    refuse_ignored(&command, &matches)?;
    let cli = Cli::from_arg_matches(&matches).map_err(|err| usage(&err))?;
    Ok(Parsed::Run(cli))
}

fn answer(command: &mut clap::Command, err: clap::Error, json: bool) -> anyhow::Result<Parsed> {
    match err.kind() {
        ErrorKind::DisplayVersion if json => {
            let version = serde_json::json!({ "version": env!("CARGO_PKG_VERSION") });
            output::write_stdout(&format!("{version}\n"))?;
            Ok(Parsed::Done)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let names: Vec<&str> = command
                .get_subcommands()
                .map(|sub| sub.get_name())
                .filter(|name| *name != "help")
                .collect();
            if json {
                return Err(Failure::new(
                    Kind::Usage,
                    format!("a command is needed: {} (see --help)", names.join(", ")),
                )
                .into());
            }
            output::say(&format!(
                "konecty-session: a command is needed\n\n{}\nOptions and examples: konecty-session --help\n",
                command_list(command)
            ));
            Ok(Parsed::Answered(Kind::Usage))
        }
        _ if !err.use_stderr() => {
            err.print()?;
            Ok(Parsed::Done)
        }
        _ => Err(usage(&err).into()),
    }
}

/// The "Commands:" block of the help, as clap writes it.
fn command_list(command: &mut clap::Command) -> String {
    let help = command.render_help().to_string();
    let mut list = String::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            inside = true;
        } else if inside && !line.starts_with(' ') && !line.is_empty() {
            break;
        }
        if inside && !line.is_empty() {
            list.push_str(line);
            list.push('\n');
        }
    }
    list
}

/// clap's error on one line: its first line and the details under it (the missing
/// arguments, the valid values, a similar command), without the usage block `--help` gives.
/// A stray value is not repeated: it may be a code or an address typed in the wrong place.
pub fn usage(err: &clap::Error) -> Failure {
    let mut rendered = err.render().to_string();
    if let Some(ContextValue::String(stray)) = err.get(ContextKind::InvalidArg)
        && !stray.starts_with('-')
    {
        rendered = rendered.replace(stray.as_str(), "<value>");
    }
    let mut message = String::new();
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        let line = line.strip_prefix("error: ").unwrap_or(line);
        if !message.is_empty() {
            let joined_by_space = message.ends_with(':') || line.starts_with('[');
            message.push_str(if joined_by_space { " " } else { "; " });
        }
        message.push_str(line);
    }
    if message.is_empty() {
        message.push_str("invalid usage");
    }
    Failure::new(Kind::Usage, format!("{message} (see --help)"))
}

/// A global option the command would ignore is refused: never silently dropped. (clap
/// reports an alias, `whoami`, by its command's name.)
fn refuse_ignored(command: &clap::Command, matches: &ArgMatches) -> Result<(), Failure> {
    let Some((name, sub)) = matches.subcommand() else {
        return Ok(());
    };
    for arg in command.get_arguments().filter(|arg| arg.is_global_set()) {
        let id = arg.get_id().as_str();
        let flag = format!("--{}", arg.get_long().unwrap_or(id));
        let given = sub.value_source(id) == Some(ValueSource::CommandLine);
        if let (true, Some(why)) = (given, why_not(name, id)) {
            return Err(Failure::new(
                Kind::Usage,
                format!(
                    "{flag} does not apply to `{name}`: it {why} (see konecty-session {name} --help)"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Cli, String> {
        let args = std::iter::once("konecty-session")
            .chain(args.iter().copied())
            .map(std::ffi::OsString::from);
        match parse(args, false) {
            Ok(Parsed::Run(cli)) => Ok(cli),
            Ok(_) => Err("answered".into()),
            Err(err) => Err(Failure::of(&err).message),
        }
    }

    #[test]
    fn options_a_command_would_ignore_are_refused() {
        for (args, expected) in [
            (
                &["--host", "https://a.example", "demo"][..],
                "--host does not apply to `demo`",
            ),
            (
                &["--host", "https://a.example", "use", "https://b.example"],
                "--host does not apply to `use`",
            ),
            (
                &["--timeout", "5", "token"],
                "--timeout does not apply to `token`",
            ),
            (
                &["--dir", "/tmp/x", "completions", "bash"],
                "--dir does not apply to `completions`",
            ),
            (
                &["dev-server", "--proxy", "http://p:3128"],
                "--proxy does not apply to `dev-server`",
            ),
            (
                &["--verbose", "token"],
                "--verbose does not apply to `token`",
            ),
        ] {
            let refused = parsed(args).err().unwrap_or_default();
            assert!(
                refused.starts_with(expected),
                "{args:?}: expected {expected:?}, got {refused:?}"
            );
        }
    }

    #[test]
    fn options_a_command_honours_are_taken() {
        for args in [
            &["--host", "https://a.example", "status"][..],
            &["--dir", "/tmp/x", "demo"],
            &["--verbose", "--audit", "/tmp/a", "demo"],
            &["--timeout", "5", "login-options"],
            &["--dir", "/tmp/x", "use", "https://b.example"],
            // A default is not a given option.
            &["token"],
        ] {
            assert!(parsed(args).is_ok(), "{args:?}: {:?}", parsed(args).err());
        }
    }

    #[test]
    fn a_stray_value_is_not_repeated() {
        for (args, secret) in [
            (&["verify-otp", "123456"][..], "123456"),
            (&["request-otp", "ana@example.com"], "ana@example.com"),
        ] {
            let message = parsed(args).err().unwrap_or_default();
            assert!(
                message.contains("unexpected argument '<value>'"),
                "{message}"
            );
            assert!(!message.contains(secret), "{args:?} repeated: {message}");
        }
    }

    #[test]
    fn usage_errors_keep_what_clap_said() {
        for (args, expected) in [
            (&["request-otp"][..], "<--email <EMAIL>|--phone <PHONE>>"),
            (
                &["completions", "tcsh"],
                "[possible values: bash, elvish, fish, powershell, zsh]",
            ),
            (&["logn"], "'login'"),
            (&["use"], "<HOST>"),
        ] {
            let message = parsed(args).err().unwrap_or_default();
            assert!(
                message.contains(expected),
                "{args:?}: expected {expected:?} in {message:?}"
            );
            assert!(
                !message.contains('\n'),
                "{args:?}: more than one line: {message:?}"
            );
        }
    }

    #[test]
    fn help_hides_the_options_a_command_ignores() {
        let mut command = command();
        command.build();
        let demo = command
            .find_subcommand_mut("demo")
            .unwrap()
            .render_help()
            .to_string();
        assert!(demo.contains("--dir"), "demo honours --dir: {demo}");
        assert!(!demo.contains("--host"), "demo's help shows --host: {demo}");
        assert!(
            !demo.contains("--proxy"),
            "demo's help shows --proxy: {demo}"
        );
        let status = command
            .find_subcommand_mut("status")
            .unwrap()
            .render_help()
            .to_string();
        assert!(
            status.contains("--host") && status.contains("--proxy"),
            "{status}"
        );
    }
}
