//! Routes the Service CIDR to a dummy device on the node, so that packets to Service
//! addresses (the cluster DNS among them) that no proxy has programmed stay on this machine
//! instead of leaving through the default route — pods forward through the node, and the
//! bridge plugin turns forwarding on. On kernels without dummy devices (some microVMs) the
//! CIDR gets an `unreachable` route instead: same effect, and senders fail at once.

/// The dummy device's name for a node whose bridge is `bridge` (at most 15 characters).
pub fn device_for(bridge: &str) -> String {
    let stem: String = bridge.chars().take(12).collect();
    format!("{stem}svc")
}

/// Creates the dummy device (if absent), brings it up and routes `cidr` to it.
pub async fn ensure(device: &str, cidr: &str) -> Result<(), String> {
    let ip = |args: Vec<&str>| {
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        async move {
            tokio::process::Command::new("ip")
                .args(&args)
                .output()
                .await
                .map_err(|e| format!("running ip {}: {e}", args.join(" ")))
        }
    };
    let exists = ip(vec!["link", "show", device]).await?.status.success();
    if !exists {
        let out = ip(vec!["link", "add", device, "type", "dummy"]).await?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if stderr.contains("Unknown device type") || stderr.contains("not supported") {
                let out = ip(vec!["route", "replace", "unreachable", cidr]).await?;
                if out.status.success() {
                    tracing::info!(
                        cidr,
                        "no dummy devices in this kernel; the Service CIDR is routed unreachable"
                    );
                    return Ok(());
                }
                return Err(format!(
                    "routing {cidr} unreachable: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            return Err(format!("creating the dummy device {device}: {stderr}"));
        }
    }
    for args in [
        vec!["link", "set", device, "up"],
        vec!["route", "replace", cidr, "dev", device],
    ] {
        let out = ip(args.clone()).await?;
        if !out.status.success() {
            return Err(format!(
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn device_names_fit_the_kernel_limit() {
        assert_eq!(super::device_for("berth0"), "berth0svc");
        assert!(super::device_for("a-very-long-bridge").len() <= 15);
    }
}
