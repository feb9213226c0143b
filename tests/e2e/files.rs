//! The credential files: only our keys change, modes are private, failures write nothing.

use crate::support::*;

#[test]
fn other_env_lines_are_kept_byte_for_byte() {
    let server = konecty();
    let home = Home::new();
    let before = "# my settings\r\nOTHER=1\r\nexport KONECTY_TOKEN=old\nKONECTY_TOKEN=older\n\nPATH_EXTRA=\"a b\"";
    home.write(".env", before);
    let token = home.login(&server);
    let after = home.read(".env");
    // `export ` and CRLF stay; added lines follow the file's first line ending.
    let expected = format!(
        "# my settings\r\nOTHER=1\r\nexport KONECTY_TOKEN={token}\n\nPATH_EXTRA=\"a b\"\r\nKONECTY_URL={}\r\nKONECTY_USER_ID=devUser0000000001\r\n",
        server.url()
    );
    assert_eq!(after, expected);
}

#[test]
fn other_ini_sections_and_keys_are_kept() {
    let server = konecty();
    let home = Home::new();
    home.write("credentials", "; hand-written\n[default]\nregion = br\nauthId = old\n\n[https://other.konecty.com]\nhost = https://other.konecty.com\nauthId = keep-me\n");
    let token = home.login(&server);
    let after = times_hidden(&home.read("credentials"));
    let host = server.url();
    let expected = format!(
        "; hand-written\n[default]\nregion = br\nauthId = {token}\nhost = {host}\nuserId = devUser0000000001\nissuedAt = <time>\n\n[https://other.konecty.com]\nhost = https://other.konecty.com\nauthId = keep-me\n\n[{host}]\nhost = {host}\nuserId = devUser0000000001\nauthId = {token}\nissuedAt = <time>\n"
    );
    assert_eq!(after, expected);
}

#[test]
fn keys_are_spelled_for_the_node_sdk() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let credentials = home.read("credentials");
    for key in ["host = ", "userId = ", "authId = "] {
        assert_eq!(
            credentials.matches(key).count(),
            2,
            "expected {key:?} in both sections:\n{credentials}"
        );
    }
    assert!(
        !credentials.contains("userid") && !credentials.contains("authid"),
        "no lower-cased keys"
    );
}

#[cfg(unix)]
#[test]
fn the_directory_is_0700_and_the_files_0600() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    assert_eq!(mode(&home.dir()), 0o700);
    assert_eq!(mode(&home.file(".env")), 0o600);
    assert_eq!(mode(&home.file("credentials")), 0o600);
}

#[cfg(unix)]
#[test]
fn loose_modes_are_tightened_by_a_writing_command() {
    use std::os::unix::fs::PermissionsExt;
    let server = konecty();
    let home = Home::new();
    home.write(".env", "OTHER=1\n");
    home.write("credentials", "[other]\nx = 1\n");
    std::fs::set_permissions(home.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(home.file(".env"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        home.file("credentials"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    // By a command that writes; read-only ones change no mode (hardening.rs).
    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(OK);
    assert_eq!(mode(&home.dir()), 0o700);
    assert_eq!(mode(&home.file(".env")), 0o600);
    assert_eq!(mode(&home.file("credentials")), 0o600);
}

#[test]
fn the_code_is_stored_nowhere_and_no_temporary_files_remain() {
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    home.verify(&server.url(), &code, &[]).expect(OK);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(home.dir()).unwrap() {
        let entry = entry.unwrap();
        let content = std::fs::read_to_string(entry.path()).unwrap();
        assert!(
            !content.contains(&code),
            "{:?} holds the code",
            entry.file_name()
        );
        assert!(
            !content.contains(EMAIL),
            "{:?} holds the email",
            entry.file_name()
        );
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    assert_eq!(
        names,
        [".env", ".lock", "credentials"],
        "only the two files and the empty lock remain (pending-otp goes once verified)"
    );
}

#[test]
fn no_env_and_no_credentials_skip_their_file() {
    let server = konecty();
    for (flag, written, skipped) in [
        ("--no-env", "credentials", ".env"),
        ("--no-credentials", ".env", "credentials"),
    ] {
        let home = Home::new();
        let code = home.request_code(&server);
        home.verify(&server.url(), &code, &[flag]).expect(OK);
        assert!(
            home.file(written).exists() && !home.file(skipped).exists(),
            "{flag}: wrote the wrong files"
        );
    }
}

#[test]
fn a_failed_login_leaves_the_files_as_they_were() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let (env, credentials) = (home.read(".env"), home.read("credentials"));
    home.verify(&server.url(), "123456", &[]).expect(REFUSED);
    assert_eq!(
        (home.read(".env"), home.read("credentials")),
        (env, credentials)
    );
}

#[test]
fn an_unwritable_file_is_a_storage_error_and_the_other_file_is_untouched() {
    let server = konecty();
    let home = Home::new();
    std::fs::create_dir_all(home.file("credentials")).unwrap();
    home.write(".env", "OTHER=1\n");
    // Found before a code is requested, so none is wasted.
    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(STORAGE)
        .says("credential files")
        .one_error_line();
    assert_eq!(server.code_for(EMAIL), None, "a code was requested");
    assert_eq!(home.read(".env"), "OTHER=1\n");
}

#[test]
fn a_file_written_by_the_reference_script_is_repaired_not_duplicated() {
    // login.py lets configparser lower-case keys, and people write sections with a slash.
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    home.write(
        "credentials",
        &format!("[default]\nhost = {host}\nuserid = old\nauthid = old\n\n[{host}/]\nhost = {host}\nauthid = old\n"),
    );
    let token = home.login(&server);
    let after = times_hidden(&home.read("credentials"));
    let expected = format!(
        "[default]\nhost = {host}\nuserId = devUser0000000001\nauthId = {token}\nissuedAt = <time>\n\n[{host}/]\nhost = {host}\nauthId = {token}\nuserId = devUser0000000001\nissuedAt = <time>\n"
    );
    assert_eq!(after, expected);

    home.run(&["--host", &host, "logout"]).expect(OK);
    let after = home.read("credentials");
    assert!(
        !after.to_lowercase().contains("authid"),
        "a token survived logout:\n{after}"
    );
}

#[test]
fn empty_stored_values_are_no_session() {
    let server = konecty();
    let home = Home::new();
    home.write(
        ".env",
        &format!("KONECTY_URL={}\nKONECTY_TOKEN=\n", server.url()),
    );
    home.write(
        "credentials",
        &format!("[default]\nhost = {}\nauthId =\n", server.url()),
    );
    home.run(&["status"])
        .expect(REFUSED)
        .says("Not logged in")
        .says("no token in KONECTY_TOKEN");
    assert!(
        server.requests().is_empty(),
        "nothing to check, nothing sent"
    );
}

#[test]
fn an_oversized_file_is_refused_before_a_code_is_sent_or_spent() {
    let server = konecty();
    let home = Home::new();
    let huge = format!("# notes\n{}\n", "x".repeat(2 * 1024 * 1024));
    home.write(".env", &huge);

    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(STORAGE)
        .says("larger than")
        .one_error_line();
    assert_eq!(
        server.code_for(EMAIL),
        None,
        "a code was requested although .env could not be saved"
    );

    // A code obtained before the file grew is not spent either.
    home.write(".env", "");
    let code = home.request_code(&server);
    home.write(".env", &huge);
    home.verify(&server.url(), &code, &[])
        .expect(STORAGE)
        .says("larger than");
    assert_eq!(home.read(".env"), huge, ".env was changed");
    home.write(".env", "");
    home.verify(&server.url(), &code, &[]).expect(OK);
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_replaced_never_written_through() {
    let server = konecty();
    let home = Home::new();
    home.write("mine.env", "MINE=1\n");
    std::os::unix::fs::symlink("mine.env", home.file(".env")).unwrap();

    home.login(&server);

    assert_eq!(
        home.read("mine.env"),
        "MINE=1\n",
        "the link's target was written"
    );
    let env = std::fs::symlink_metadata(home.file(".env")).unwrap();
    assert!(
        env.file_type().is_file(),
        "expected .env to be a regular file now, got {:?}",
        env.file_type()
    );
}
