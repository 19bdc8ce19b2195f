//! desi-city's integration tests: one test binary that runs the real `desi-city` executable as
//! a child process against a real local HTTP server (`upstream`) serving the real files of
//! `../shared/data` at Eurostat's URL paths, with a temp data dir and catalogue per test.
//!
//! Nothing here reaches the internet, links the crate's library (but for `map`, which reads the
//! store the binary wrote with the library's `geo::Shapes`, as the charts will), or mocks any of
//! its parts: what is tested is what a user runs. Each test has its own server and temp dirs, so they run
//! in parallel.

mod api;
mod cdp;
mod charts;
mod cli;
mod commission;
mod crash;
mod desi;
mod faults;
mod fetch;
mod first_hour;
mod golden;
mod import;
mod indicators;
mod kpis;
mod map;
mod pages;
mod platform;
mod regional;
mod roadmap;
mod serve;
mod support;
mod tidy;
mod upstream;
