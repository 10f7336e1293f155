//! `windows_sys::Win32::Networking`.

#[allow(non_snake_case)]
pub mod WinSock;
