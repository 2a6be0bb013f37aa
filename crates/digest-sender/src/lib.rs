//! digest-sender: builds the weekly digests and delivers them.
//!
//! - [`assemble`] (from `pathfinder-digests`) puts every detection not yet in a digest of a channel into digests of
//!   at most 10; [`weekly::WeeklyDigestJob`] runs it as the scheduled `weekly-digest` job (Fridays 17:00 in the
//!   configured zone, exactly once per week, caught up when missed), and [`requests`] runs it for each manual run
//!   asked for through `POST /admin/send-digests`.
//! - [`send::Sender`] claims pending digests under a lease, renders them ([`render`], templates in
//!   `config/templates/`) and delivers them through the channel's [`transport`].
//! - [`outbound::OutboundWorker`] delivers the outbound webhooks (Standard Webhooks events) to their endpoints.

pub mod content;
pub mod outbound;
pub mod render;
pub mod requests;
pub mod send;
pub mod startup;
pub mod transport;
pub mod transports;

pub use pathfinder_digests::{assemble, channels, weekly};
pub use startup::Application;
