//! `pathfinder jobs run discourse-reconcile`: open a Discourse reconciliation pass (or continue the open one) and
//! work it in this process, printing its counts. A pass a classifier is working on is left to it.

use anyhow::Context;
use pathfinder_core::jobs::Trigger;
use pathfinder_core::jobs::scheduler::run_once;
use pathfinder_core::schedule::{self, Job};
use pathfinder_core::{Settings, db, migrations};
use pathfinder_members::reconcile::job::DiscourseReconcileJob;
use pathfinder_members::reconcile::{DriveOutcome, PassCounts, Reconciler};
use pathfinder_members::rules::SharedRules;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    if !settings.discourse.reconcile_enabled {
        anyhow::bail!(
            "reconcile-disabled: Discourse reconciliation is off: set PATHFINDER_DISCOURSE__RECONCILE_ENABLED=true \
             with PATHFINDER_DISCOURSE__BASE_URL, PATHFINDER_DISCOURSE__API_KEY and \
             PATHFINDER_DISCOURSE__API_USERNAME"
        );
    }
    let rules = SharedRules::load(&settings.rules_path)
        .with_context(|| format!("cannot use the rules at RULES_PATH={}", settings.rules_path))?;
    let pool = db::create_pool(settings, "pathfinder-reconcile")?;
    migrations::ensure_current(&*pool.get().await?).await?;
    let occurrence = schedule::period_containing(Job::DiscourseReconcile, settings.tz(), chrono::Utc::now());
    run_once(
        &pool,
        &DiscourseReconcileJob { manual: true, rule: settings.discourse.reconcile_rule() },
        &occurrence,
        Trigger::Manual,
    )
    .await?;
    let reconciler = Reconciler::from_settings(settings, pool, rules, super::operator())?;
    let read = |c: PassCounts| {
        format!(
            "{} members read, {} unchanged, {} changed (stored as events), {} skipped",
            c.members, c.unchanged, c.fed, c.skipped
        )
    };
    match reconciler.drive().await? {
        DriveOutcome::Finished { pass, pages, counts } => {
            println!("discourse-reconcile pass {pass} finished after {pages} page(s): {}", read(counts))
        }
        DriveOutcome::Paused { pass, next_page, counts } => println!(
            "discourse-reconcile pass {pass} paused before page {next_page} \
             (PATHFINDER_DISCOURSE__RECONCILE_MAX_PAGES): {}; the next run continues",
            read(counts)
        ),
        DriveOutcome::Busy { pass, holder } => {
            println!("discourse-reconcile pass {pass} is being worked by {holder}; it continues there")
        }
        DriveOutcome::Waiting { pass, next_page } => {
            println!("discourse-reconcile pass {pass} waits for its next run at page {next_page}")
        }
        DriveOutcome::NoPass => println!("discourse-reconcile: no pass is open"),
    }
    Ok(())
}
