//! `windows_sys::Win32::System`.

#[allow(non_snake_case)]
pub mod IO;
#[allow(non_snake_case)]
pub mod Threading;
