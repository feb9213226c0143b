//! Keeps the process's memory, where the token and the code pass, out of core dumps and
//! other same-user processes' reach, as ssh-agent and gpg-agent do. For the binary: a library
//! leaves its caller's process settings alone.

/// No core file, and (on Linux) not dumpable: no core, and no ptrace or /proc/PID/mem access
/// by other processes of the same user. Failures are ignored: the settings only narrow what
/// the process allows.
pub fn keep_secrets_out_of_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let none = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        let _ = setrlimit(Resource::Core, none);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}
