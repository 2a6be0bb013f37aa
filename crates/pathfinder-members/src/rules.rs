//! The classification rules in use, swapped atomically when SIGHUP asks for a reload.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use pathfinder_classify::{Classifier, RulesError};

#[derive(Clone)]
pub struct SharedRules {
    path: PathBuf,
    current: Arc<RwLock<Arc<Classifier>>>,
}

impl SharedRules {
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, RulesError> {
        let path = path.into();
        let classifier = Classifier::load(&path)?;
        Ok(Self { path, current: Arc::new(RwLock::new(Arc::new(classifier))) })
    }

    /// The rules to use for the next batch.
    pub fn current(&self) -> Arc<Classifier> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the file; on any error the rules in use stay and the error is returned.
    pub fn reload(&self) -> Result<String, RulesError> {
        let classifier = Arc::new(Classifier::load(&self.path)?);
        let version = classifier.version().to_string();
        match self.current.write() {
            Ok(mut guard) => *guard = classifier,
            Err(poisoned) => *poisoned.into_inner() = classifier,
        }
        Ok(version)
    }

    /// Reloads on every SIGHUP until the process ends.
    pub fn reload_on_sighup(&self) {
        #[cfg(unix)]
        {
            let rules = self.clone();
            tokio::spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                    tracing::warn!("cannot listen for SIGHUP; rules reload needs a restart");
                    return;
                };
                while hangups.recv().await.is_some() {
                    match rules.reload() {
                        Ok(version) => tracing::info!(rules_version = %version, "rules reloaded"),
                        Err(error) => tracing::error!(error = %error, "rules reload failed; keeping the rules in use"),
                    }
                }
            });
        }
    }
}
