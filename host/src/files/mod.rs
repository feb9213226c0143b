//! The files the host itself reads or writes: the credentials directory it grants
//! ([`credentials_dir`]: modes, lock, safe reads) and the record of which origin issued each
//! token ([`issued`]); what differs between Unix and Windows for them ([`platform`]).

pub mod credentials_dir;
pub mod issued;
pub mod platform;
