//! `windows_sys::Win32::NetworkManagement`.

#[allow(non_snake_case)]
pub mod QoS;
