//! digest-sender: the weekly digests.
//!
//! [`assemble`] puts every detection not yet in a digest of a channel into digests of at most 10, per enabled
//! channel; [`weekly::WeeklyDigestJob`] runs it as the scheduled `weekly-digest` job (Fridays 17:00 in the configured
//! zone, exactly once per week, caught up when missed). Delivery (Automation Anywhere, Teams, SMTP) is the next step
//! of issue 4 and not built yet: digests stay `pending` until a sender exists.

pub mod assemble;
pub mod channels;
pub mod weekly;
