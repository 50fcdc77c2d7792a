//! The state backend options of job-running commands: where keyed state lives
//! (`--state-backend`, Flink's `state.backend.type`), the embedded backend's memory
//! budget (`--state-backend-memory`, `state.backend.fjall.memory`), its working
//! directory (`--state-dir`, `state.backend.fjall.localdir`) and whether its checkpoints
//! are incremental (`--checkpoint-incremental`, `execution.checkpointing.incremental`).

use std::path::PathBuf;

use clap::Args;
use weir::StateBackendConfig;

/// Keyed-state backend options.
#[derive(Args, Debug, Clone)]
pub struct StateBackendArgs {
    /// `hashmap` (keyed state on the heap) or `embedded` (an LSM on local disk, within
    /// --state-backend-memory, for state larger than memory; `fjall` is the same).
    #[arg(long, default_value = "hashmap")]
    pub state_backend: String,
    /// The embedded backend's memory per keyed operator subtask: `64mb`, `1g`.
    #[arg(long, default_value = "64mb")]
    pub state_backend_memory: String,
    /// Where the embedded backend keeps its working files (default: the temp directory).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Checkpoints store only the embedded backend's key groups changed since the last
    /// completed checkpoint and refer to earlier files for the rest (savepoints stay full).
    #[arg(long)]
    pub checkpoint_incremental: bool,
}

impl Default for StateBackendArgs {
    fn default() -> Self {
        StateBackendArgs {
            state_backend: "hashmap".into(),
            state_backend_memory: "64mb".into(),
            state_dir: None,
            checkpoint_incremental: false,
        }
    }
}

impl StateBackendArgs {
    /// The configuration these options describe.
    ///
    /// # Errors
    /// An unknown backend or a size that does not parse, naming the option.
    pub fn config(&self) -> anyhow::Result<StateBackendConfig> {
        let mut config = StateBackendConfig::default();
        config.set("state.backend.type", &self.state_backend).map_err(|e| anyhow::anyhow!("--state-backend: {e}"))?;
        config
            .set("state.backend.fjall.memory", &self.state_backend_memory)
            .map_err(|e| anyhow::anyhow!("--state-backend-memory: {e}"))?;
        config.local_dir = self.state_dir.clone();
        config.incremental = self.checkpoint_incremental;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use weir::StateBackendKind;

    use super::*;

    #[test]
    fn options_become_a_configuration_or_a_named_error() {
        let args = StateBackendArgs {
            state_backend: "embedded".into(),
            state_backend_memory: "16mb".into(),
            state_dir: None,
            checkpoint_incremental: true,
        };
        let config = args.config().unwrap();
        assert_eq!(
            (config.kind, config.memory_bytes, config.incremental),
            (StateBackendKind::Embedded, 16 << 20, true)
        );
        assert_eq!(StateBackendArgs::default().config().unwrap().kind, StateBackendKind::HashMap);
        let bad = StateBackendArgs { state_backend: "rocksdb".into(), ..StateBackendArgs::default() };
        assert!(bad.config().unwrap_err().to_string().starts_with("--state-backend: "));
        let bad = StateBackendArgs { state_backend_memory: "a lot".into(), ..StateBackendArgs::default() };
        assert!(bad.config().unwrap_err().to_string().starts_with("--state-backend-memory: "));
    }
}
