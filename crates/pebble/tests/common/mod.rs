//! What the live and the recorded tests share: the script of calls, and (for the live tests) the
//! real Pebble daemon.

#![allow(dead_code, unreachable_pub)]

pub mod daemon;
pub mod script;
