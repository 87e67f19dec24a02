//! Running CNI plugins (Debian's `containernetworking-plugins`, `/usr/lib/cni`) as the CNI
//! spec says: the plugin binary with `CNI_*` variables and the network configuration on
//! stdin, a JSON result (or error) on stdout. A configuration list runs its plugins in order
//! for ADD (each gets the previous result) and in reverse for DEL.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

#[derive(Debug, thiserror::Error)]
pub enum CniError {
    #[error("CNI plugin {plugin} not found in {dir} (package containernetworking-plugins)")]
    Missing { plugin: String, dir: PathBuf },
    #[error("running CNI plugin {plugin}: {source}")]
    Exec {
        plugin: String,
        source: std::io::Error,
    },
    #[error("CNI plugin {plugin} failed ({command}): {message}")]
    Failed {
        plugin: String,
        command: &'static str,
        message: String,
    },
}

/// Where plugins are and the list they run.
#[derive(Debug, Clone)]
pub struct CniConfig {
    pub plugin_dir: PathBuf,
    /// A configuration list (`{"cniVersion", "name", "plugins": [...]}`).
    pub list: Value,
}

/// What ADD gave a pod: its addresses (`10.42.0.5/24`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    pub ips: Vec<String>,
}

impl CniConfig {
    /// Berth's default network: a bridge with host-local addresses from `subnet` (the
    /// node's podCIDR), the bridge as the pods' gateway. (`lo` is brought up by the
    /// sandbox itself, [`super::loopback`], not by the `loopback` plugin.)
    pub fn default_network(
        plugin_dir: &Path,
        bridge: &str,
        subnet: &str,
        ipam_dir: &Path,
    ) -> CniConfig {
        CniConfig {
            plugin_dir: plugin_dir.to_path_buf(),
            list: json!({
                "cniVersion": "1.0.0",
                "name": "berth",
                "plugins": [
                    {
                        "type": "bridge",
                        "bridge": bridge,
                        "isGateway": true,
                        "ipMasq": false,
                        "hairpinMode": true,
                        "ipam": {
                            "type": "host-local",
                            "ranges": [[{"subnet": subnet}]],
                            "routes": [{"dst": "0.0.0.0/0"}],
                            "dataDir": ipam_dir,
                        },
                    },
                ],
            }),
        }
    }

    fn plugins(&self) -> Vec<Value> {
        self.list["plugins"].as_array().cloned().unwrap_or_default()
    }

    /// Config of one plugin as it is handed over: the list's name and version added.
    fn plugin_config(&self, plugin: &Value, prev: Option<&Value>) -> Value {
        let mut config = plugin.clone();
        config["cniVersion"] = self.list["cniVersion"].clone();
        config["name"] = self.list["name"].clone();
        if let Some(prev) = prev {
            config["prevResult"] = prev.clone();
        }
        config
    }

    /// ADD: attaches the network namespace `netns` (container `id`), interface `eth0`.
    pub async fn add(&self, id: &str, netns: &Path) -> Result<Attachment, CniError> {
        let mut prev: Option<Value> = None;
        for plugin in self.plugins() {
            let config = self.plugin_config(&plugin, prev.as_ref());
            let result = self.exec("ADD", &plugin, &config, id, netns).await?;
            // loopback's result says nothing about eth0; keep the chain's.
            if plugin["type"] != "loopback" || prev.is_none() {
                prev = Some(result);
            }
        }
        let ips = prev
            .as_ref()
            .and_then(|r| r["ips"].as_array())
            .map(|ips| {
                ips.iter()
                    .filter_map(|ip| ip["address"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Attachment { ips })
    }

    /// DEL, in reverse order; a plugin's failure does not stop the others (DEL must release
    /// what it can), the first failure is returned.
    pub async fn del(&self, id: &str, netns: &Path) -> Result<(), CniError> {
        let mut first = None;
        for plugin in self.plugins().iter().rev() {
            let config = self.plugin_config(plugin, None);
            if let Err(e) = self.exec("DEL", plugin, &config, id, netns).await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    async fn exec(
        &self,
        command: &'static str,
        plugin: &Value,
        config: &Value,
        id: &str,
        netns: &Path,
    ) -> Result<Value, CniError> {
        let name = plugin["type"].as_str().unwrap_or_default().to_string();
        let binary = self.plugin_dir.join(&name);
        if name.is_empty() || !binary.is_file() {
            return Err(CniError::Missing {
                plugin: name,
                dir: self.plugin_dir.clone(),
            });
        }
        let exec_error = |source| CniError::Exec {
            plugin: name.clone(),
            source,
        };
        let mut child = tokio::process::Command::new(&binary)
            .env_clear()
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", id)
            .env("CNI_NETNS", netns)
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", &self.plugin_dir)
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(exec_error)?;
        if let Some(mut stdin) = child.stdin.take() {
            let bytes = serde_json::to_vec(config).unwrap_or_default();
            stdin.write_all(&bytes).await.map_err(exec_error)?;
        }
        let out = child.wait_with_output().await.map_err(exec_error)?;
        let result: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if !out.status.success() {
            let message = result["msg"]
                .as_str()
                .map(|m| match result["details"].as_str() {
                    Some(d) if !d.is_empty() => format!("{m}: {d}"),
                    _ => m.to_string(),
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_string());
            return Err(CniError::Failed {
                plugin: name,
                command,
                message,
            });
        }
        Ok(result)
    }
}
