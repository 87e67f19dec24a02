"""The official Python `kubernetes` client against Berth: CRUD and a watch.

Run by crates/berth/tests/python_client.rs with KUBECONFIG pointing at a test cluster.
Prints one line per step; any failure raises (non-zero exit).
"""

import threading

from kubernetes import client, config, watch

config.load_kube_config()
v1 = client.CoreV1Api()
apps = client.AppsV1Api()

names = [ns.metadata.name for ns in v1.list_namespace().items]
assert "default" in names and "kube-system" in names, names
print("list namespaces ok")

cm = client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name="py", labels={"app": "py"}),
    data={"greeting": "hello"},
)
created = v1.create_namespaced_config_map("default", cm)
assert created.metadata.uid and created.metadata.resource_version, created.metadata
print("create ok")

read = v1.read_namespaced_config_map("py", "default")
assert read.data == {"greeting": "hello"}, read.data
listed = v1.list_namespaced_config_map("default", label_selector="app=py")
assert [i.metadata.name for i in listed.items] == ["py"], listed.items
print("read and list ok")

patched = v1.patch_namespaced_config_map("py", "default", {"data": {"extra": "1"}})
assert patched.data == {"greeting": "hello", "extra": "1"}, patched.data
read.data["greeting"] = "bonjour"
try:
    # Stale resourceVersion: the server must answer 409.
    v1.replace_namespaced_config_map("py", "default", read)
    raise AssertionError("a stale replace succeeded")
except client.ApiException as err:
    assert err.status == 409, err
print("patch and conflict ok")

deployment = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-web"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "py-web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "py-web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]),
        ),
    ),
)
apps.create_namespaced_deployment("default", deployment)
got = apps.read_namespaced_deployment("py-web", "default")
assert got.spec.replicas == 2 and got.spec.strategy.type == "RollingUpdate", got.spec
print("deployment ok")

seen = []


def writer():
    v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-watched", labels={"app": "py"})))
    v1.delete_namespaced_config_map("py-watched", "default")


# List first, then start the writer: every change after the list's resourceVersion arrives.
rv = v1.list_namespaced_config_map("default", label_selector="app=py").metadata.resource_version
thread = threading.Thread(target=writer)
thread.start()
w = watch.Watch()
for event in w.stream(v1.list_namespaced_config_map, "default", label_selector="app=py", resource_version=rv, timeout_seconds=20):
    seen.append((event["type"], event["object"].metadata.name))
    if event["type"] == "DELETED" and event["object"].metadata.name == "py-watched":
        w.stop()
thread.join()
assert ("ADDED", "py-watched") in seen and ("DELETED", "py-watched") in seen, seen
print("watch ok")

v1.delete_namespaced_config_map("py", "default")
try:
    v1.read_namespaced_config_map("py", "default")
    raise AssertionError("deleted object still readable")
except client.ApiException as err:
    assert err.status == 404, err
print("delete ok")
