//! `windows_sys::Win32`.

#[allow(non_snake_case)]
pub mod Foundation;
#[allow(non_snake_case)]
pub mod NetworkManagement;
#[allow(non_snake_case)]
pub mod Networking;
#[allow(non_snake_case)]
pub mod Security;
#[allow(non_snake_case)]
pub mod System;
