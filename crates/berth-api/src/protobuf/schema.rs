//! Protobuf schemas of the Kubernetes messages Berth decodes from request bodies: for each
//! message, its fields' numbers, JSON names and types. Transcribed from upstream's
//! `generated.proto` files (k8s.io/api and k8s.io/apimachinery); field numbers are stable
//! across Kubernetes versions. (autoscaling/v1's HorizontalPodAutoscaler was added by hand
//! from the same upstream definitions, for `kubectl autoscale`.)

use super::{Field, Ty};

#[rustfmt::skip]
pub static MESSAGES: &[(&str, &[Field])] = &[
    (
        "k8s.io.api.apps.v1.DaemonSet",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.apps.v1.DaemonSetSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.apps.v1.DaemonSetStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DaemonSetCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DaemonSetSpec",
        &[
            Field { tag: 1, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 2, name: "template", ty: Ty::Message("k8s.io.api.core.v1.PodTemplateSpec"), repeated: false },
            Field { tag: 3, name: "updateStrategy", ty: Ty::Message("k8s.io.api.apps.v1.DaemonSetUpdateStrategy"), repeated: false },
            Field { tag: 4, name: "minReadySeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "revisionHistoryLimit", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DaemonSetStatus",
        &[
            Field { tag: 1, name: "currentNumberScheduled", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "numberMisscheduled", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "desiredNumberScheduled", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "numberReady", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 6, name: "updatedNumberScheduled", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "numberAvailable", ty: Ty::Int32, repeated: false },
            Field { tag: 8, name: "numberUnavailable", ty: Ty::Int32, repeated: false },
            Field { tag: 9, name: "collisionCount", ty: Ty::Int32, repeated: false },
            Field { tag: 10, name: "conditions", ty: Ty::Message("k8s.io.api.apps.v1.DaemonSetCondition"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DaemonSetUpdateStrategy",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "rollingUpdate", ty: Ty::Message("k8s.io.api.apps.v1.RollingUpdateDaemonSet"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.Deployment",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.apps.v1.DeploymentSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.apps.v1.DeploymentStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "lastUpdateTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 7, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentSpec",
        &[
            Field { tag: 1, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 3, name: "template", ty: Ty::Message("k8s.io.api.core.v1.PodTemplateSpec"), repeated: false },
            Field { tag: 4, name: "strategy", ty: Ty::Message("k8s.io.api.apps.v1.DeploymentStrategy"), repeated: false },
            Field { tag: 5, name: "minReadySeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "revisionHistoryLimit", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "paused", ty: Ty::Bool, repeated: false },
            Field { tag: 9, name: "progressDeadlineSeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 10, name: "podReplacementPolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentStatus",
        &[
            Field { tag: 1, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "updatedReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "readyReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "availableReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "unavailableReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 9, name: "terminatingReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "conditions", ty: Ty::Message("k8s.io.api.apps.v1.DeploymentCondition"), repeated: true },
            Field { tag: 8, name: "collisionCount", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.DeploymentStrategy",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "rollingUpdate", ty: Ty::Message("k8s.io.api.apps.v1.RollingUpdateDeployment"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.ReplicaSet",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.apps.v1.ReplicaSetSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.apps.v1.ReplicaSetStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.ReplicaSetCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.ReplicaSetSpec",
        &[
            Field { tag: 1, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "minReadySeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 3, name: "template", ty: Ty::Message("k8s.io.api.core.v1.PodTemplateSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.ReplicaSetStatus",
        &[
            Field { tag: 1, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "fullyLabeledReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "readyReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "availableReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "terminatingReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 6, name: "conditions", ty: Ty::Message("k8s.io.api.apps.v1.ReplicaSetCondition"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.apps.v1.RollingUpdateDaemonSet",
        &[
            Field { tag: 1, name: "maxUnavailable", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 2, name: "maxSurge", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.RollingUpdateDeployment",
        &[
            Field { tag: 1, name: "maxUnavailable", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 2, name: "maxSurge", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy",
        &[
            Field { tag: 1, name: "partition", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "maxUnavailable", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSet",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetOrdinals",
        &[
            Field { tag: 1, name: "start", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy",
        &[
            Field { tag: 1, name: "whenDeleted", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "whenScaled", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetSpec",
        &[
            Field { tag: 1, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 3, name: "template", ty: Ty::Message("k8s.io.api.core.v1.PodTemplateSpec"), repeated: false },
            Field { tag: 4, name: "volumeClaimTemplates", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaim"), repeated: true },
            Field { tag: 5, name: "serviceName", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "podManagementPolicy", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "updateStrategy", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetUpdateStrategy"), repeated: false },
            Field { tag: 8, name: "revisionHistoryLimit", ty: Ty::Int32, repeated: false },
            Field { tag: 9, name: "minReadySeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 10, name: "persistentVolumeClaimRetentionPolicy", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy"), repeated: false },
            Field { tag: 11, name: "ordinals", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetOrdinals"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetStatus",
        &[
            Field { tag: 1, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "replicas", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "readyReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "currentReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "updatedReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "currentRevision", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "updateRevision", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "collisionCount", ty: Ty::Int32, repeated: false },
            Field { tag: 10, name: "conditions", ty: Ty::Message("k8s.io.api.apps.v1.StatefulSetCondition"), repeated: true },
            Field { tag: 11, name: "availableReplicas", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.apps.v1.StatefulSetUpdateStrategy",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "rollingUpdate", ty: Ty::Message("k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.BoundObjectReference",
        &[
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "uID", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.ExtraValue",
        &[
            Field { tag: 1, name: "items", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.SelfSubjectReview",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "status", ty: Ty::Message("k8s.io.api.authentication.v1.SelfSubjectReviewStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.SelfSubjectReviewStatus",
        &[
            Field { tag: 1, name: "userInfo", ty: Ty::Message("k8s.io.api.authentication.v1.UserInfo"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenRequest",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.authentication.v1.TokenRequestSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.authentication.v1.TokenRequestStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenRequestSpec",
        &[
            Field { tag: 1, name: "audiences", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "expirationSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "boundObjectRef", ty: Ty::Message("k8s.io.api.authentication.v1.BoundObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenRequestStatus",
        &[
            Field { tag: 1, name: "token", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "expirationTimestamp", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenReview",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.authentication.v1.TokenReviewSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.authentication.v1.TokenReviewStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenReviewSpec",
        &[
            Field { tag: 1, name: "token", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "audiences", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.TokenReviewStatus",
        &[
            Field { tag: 1, name: "authenticated", ty: Ty::Bool, repeated: false },
            Field { tag: 2, name: "user", ty: Ty::Message("k8s.io.api.authentication.v1.UserInfo"), repeated: false },
            Field { tag: 4, name: "audiences", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "error", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authentication.v1.UserInfo",
        &[
            Field { tag: 1, name: "username", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "groups", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "extra", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.api.authentication.v1.ExtraValue")), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.ExtraValue",
        &[
            Field { tag: 1, name: "items", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.FieldSelectorAttributes",
        &[
            Field { tag: 1, name: "rawSelector", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "requirements", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.LabelSelectorAttributes",
        &[
            Field { tag: 1, name: "rawSelector", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "requirements", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.NonResourceAttributes",
        &[
            Field { tag: 1, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "verb", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.NonResourceRule",
        &[
            Field { tag: 1, name: "verbs", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "nonResourceURLs", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.ResourceAttributes",
        &[
            Field { tag: 1, name: "namespace", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "verb", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "group", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "version", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "resource", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "subresource", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "fieldSelector", ty: Ty::Message("k8s.io.api.authorization.v1.FieldSelectorAttributes"), repeated: false },
            Field { tag: 9, name: "labelSelector", ty: Ty::Message("k8s.io.api.authorization.v1.LabelSelectorAttributes"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.ResourceRule",
        &[
            Field { tag: 1, name: "verbs", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "apiGroups", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "resources", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "resourceNames", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SelfSubjectAccessReview",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.authorization.v1.SelfSubjectAccessReviewSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.authorization.v1.SubjectAccessReviewStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SelfSubjectAccessReviewSpec",
        &[
            Field { tag: 1, name: "resourceAttributes", ty: Ty::Message("k8s.io.api.authorization.v1.ResourceAttributes"), repeated: false },
            Field { tag: 2, name: "nonResourceAttributes", ty: Ty::Message("k8s.io.api.authorization.v1.NonResourceAttributes"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SelfSubjectRulesReview",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.authorization.v1.SelfSubjectRulesReviewSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.authorization.v1.SubjectRulesReviewStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SelfSubjectRulesReviewSpec",
        &[
            Field { tag: 1, name: "namespace", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SubjectAccessReview",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.authorization.v1.SubjectAccessReviewSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.authorization.v1.SubjectAccessReviewStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SubjectAccessReviewSpec",
        &[
            Field { tag: 1, name: "resourceAttributes", ty: Ty::Message("k8s.io.api.authorization.v1.ResourceAttributes"), repeated: false },
            Field { tag: 2, name: "nonResourceAttributes", ty: Ty::Message("k8s.io.api.authorization.v1.NonResourceAttributes"), repeated: false },
            Field { tag: 3, name: "user", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "groups", ty: Ty::String, repeated: true },
            Field { tag: 5, name: "extra", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.api.authorization.v1.ExtraValue")), repeated: false },
            Field { tag: 6, name: "uid", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SubjectAccessReviewStatus",
        &[
            Field { tag: 1, name: "allowed", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "denied", ty: Ty::Bool, repeated: false },
            Field { tag: 2, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "evaluationError", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.authorization.v1.SubjectRulesReviewStatus",
        &[
            Field { tag: 1, name: "resourceRules", ty: Ty::Message("k8s.io.api.authorization.v1.ResourceRule"), repeated: true },
            Field { tag: 2, name: "nonResourceRules", ty: Ty::Message("k8s.io.api.authorization.v1.NonResourceRule"), repeated: true },
            Field { tag: 3, name: "incomplete", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "evaluationError", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.autoscaling.v1.CrossVersionObjectReference",
        &[
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "apiVersion", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec",
        &[
            Field { tag: 1, name: "scaleTargetRef", ty: Ty::Message("k8s.io.api.autoscaling.v1.CrossVersionObjectReference"), repeated: false },
            Field { tag: 2, name: "minReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "maxReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "targetCPUUtilizationPercentage", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus",
        &[
            Field { tag: 1, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "lastScaleTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 3, name: "currentReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "desiredReplicas", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "currentCPUUtilizationPercentage", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.CronJob",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.batch.v1.CronJobSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.batch.v1.CronJobStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.CronJobSpec",
        &[
            Field { tag: 1, name: "schedule", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "timeZone", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "startingDeadlineSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "concurrencyPolicy", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "suspend", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "jobTemplate", ty: Ty::Message("k8s.io.api.batch.v1.JobTemplateSpec"), repeated: false },
            Field { tag: 6, name: "successfulJobsHistoryLimit", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "failedJobsHistoryLimit", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.CronJobStatus",
        &[
            Field { tag: 1, name: "active", ty: Ty::Message("k8s.io.api.core.v1.ObjectReference"), repeated: true },
            Field { tag: 4, name: "lastScheduleTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "lastSuccessfulTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.Job",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.batch.v1.JobSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.batch.v1.JobStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.JobCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastProbeTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.JobSpec",
        &[
            Field { tag: 1, name: "parallelism", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "completions", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "activeDeadlineSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 11, name: "podFailurePolicy", ty: Ty::Message("k8s.io.api.batch.v1.PodFailurePolicy"), repeated: false },
            Field { tag: 16, name: "successPolicy", ty: Ty::Message("k8s.io.api.batch.v1.SuccessPolicy"), repeated: false },
            Field { tag: 7, name: "backoffLimit", ty: Ty::Int32, repeated: false },
            Field { tag: 12, name: "backoffLimitPerIndex", ty: Ty::Int32, repeated: false },
            Field { tag: 13, name: "maxFailedIndexes", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 5, name: "manualSelector", ty: Ty::Bool, repeated: false },
            Field { tag: 6, name: "template", ty: Ty::Message("k8s.io.api.core.v1.PodTemplateSpec"), repeated: false },
            Field { tag: 8, name: "ttlSecondsAfterFinished", ty: Ty::Int32, repeated: false },
            Field { tag: 9, name: "completionMode", ty: Ty::String, repeated: false },
            Field { tag: 10, name: "suspend", ty: Ty::Bool, repeated: false },
            Field { tag: 14, name: "podReplacementPolicy", ty: Ty::String, repeated: false },
            Field { tag: 15, name: "managedBy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.JobStatus",
        &[
            Field { tag: 1, name: "conditions", ty: Ty::Message("k8s.io.api.batch.v1.JobCondition"), repeated: true },
            Field { tag: 2, name: "startTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 3, name: "completionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "active", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "succeeded", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "failed", ty: Ty::Int32, repeated: false },
            Field { tag: 11, name: "terminating", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "completedIndexes", ty: Ty::String, repeated: false },
            Field { tag: 10, name: "failedIndexes", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "uncountedTerminatedPods", ty: Ty::Message("k8s.io.api.batch.v1.UncountedTerminatedPods"), repeated: false },
            Field { tag: 9, name: "ready", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.JobTemplateSpec",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.batch.v1.JobSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.PodFailurePolicy",
        &[
            Field { tag: 1, name: "rules", ty: Ty::Message("k8s.io.api.batch.v1.PodFailurePolicyRule"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement",
        &[
            Field { tag: 1, name: "containerName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "values", ty: Ty::Int32, repeated: true },
        ],
    ),
    (
        "k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.PodFailurePolicyRule",
        &[
            Field { tag: 1, name: "action", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "onExitCodes", ty: Ty::Message("k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement"), repeated: false },
            Field { tag: 3, name: "onPodConditions", ty: Ty::Message("k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.batch.v1.SuccessPolicy",
        &[
            Field { tag: 1, name: "rules", ty: Ty::Message("k8s.io.api.batch.v1.SuccessPolicyRule"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.batch.v1.SuccessPolicyRule",
        &[
            Field { tag: 1, name: "succeededIndexes", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "succeededCount", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.batch.v1.UncountedTerminatedPods",
        &[
            Field { tag: 1, name: "succeeded", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "failed", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.AWSElasticBlockStoreVolumeSource",
        &[
            Field { tag: 1, name: "volumeID", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "partition", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Affinity",
        &[
            Field { tag: 1, name: "nodeAffinity", ty: Ty::Message("k8s.io.api.core.v1.NodeAffinity"), repeated: false },
            Field { tag: 2, name: "podAffinity", ty: Ty::Message("k8s.io.api.core.v1.PodAffinity"), repeated: false },
            Field { tag: 3, name: "podAntiAffinity", ty: Ty::Message("k8s.io.api.core.v1.PodAntiAffinity"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.AppArmorProfile",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "localhostProfile", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.AzureDiskVolumeSource",
        &[
            Field { tag: 1, name: "diskName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "diskURI", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "cachingMode", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 6, name: "kind", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.AzureFileVolumeSource",
        &[
            Field { tag: 1, name: "secretName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "shareName", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.CSIVolumeSource",
        &[
            Field { tag: 1, name: "driver", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 3, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "volumeAttributes", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 5, name: "nodePublishSecretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Capabilities",
        &[
            Field { tag: 1, name: "add", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "drop", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.CephFSVolumeSource",
        &[
            Field { tag: 1, name: "monitors", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "user", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "secretFile", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 6, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.CinderVolumeSource",
        &[
            Field { tag: 1, name: "volumeID", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ClientIPConfig",
        &[
            Field { tag: 1, name: "timeoutSeconds", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ClusterTrustBundleProjection",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "signerName", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "labelSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 5, name: "optional", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "path", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ConfigMap",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 4, name: "immutable", ty: Ty::Bool, repeated: false },
            Field { tag: 2, name: "data", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 3, name: "binaryData", ty: Ty::Map(&Ty::String, &Ty::Bytes), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ConfigMapEnvSource",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ConfigMapKeySelector",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ConfigMapProjection",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "items", ty: Ty::Message("k8s.io.api.core.v1.KeyToPath"), repeated: true },
            Field { tag: 4, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ConfigMapVolumeSource",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "items", ty: Ty::Message("k8s.io.api.core.v1.KeyToPath"), repeated: true },
            Field { tag: 3, name: "defaultMode", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Container",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "image", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "command", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "args", ty: Ty::String, repeated: true },
            Field { tag: 5, name: "workingDir", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "ports", ty: Ty::Message("k8s.io.api.core.v1.ContainerPort"), repeated: true },
            Field { tag: 19, name: "envFrom", ty: Ty::Message("k8s.io.api.core.v1.EnvFromSource"), repeated: true },
            Field { tag: 7, name: "env", ty: Ty::Message("k8s.io.api.core.v1.EnvVar"), repeated: true },
            Field { tag: 8, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceRequirements"), repeated: false },
            Field { tag: 23, name: "resizePolicy", ty: Ty::Message("k8s.io.api.core.v1.ContainerResizePolicy"), repeated: true },
            Field { tag: 24, name: "restartPolicy", ty: Ty::String, repeated: false },
            Field { tag: 25, name: "restartPolicyRules", ty: Ty::Message("k8s.io.api.core.v1.ContainerRestartRule"), repeated: true },
            Field { tag: 9, name: "volumeMounts", ty: Ty::Message("k8s.io.api.core.v1.VolumeMount"), repeated: true },
            Field { tag: 21, name: "volumeDevices", ty: Ty::Message("k8s.io.api.core.v1.VolumeDevice"), repeated: true },
            Field { tag: 10, name: "livenessProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 11, name: "readinessProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 22, name: "startupProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 12, name: "lifecycle", ty: Ty::Message("k8s.io.api.core.v1.Lifecycle"), repeated: false },
            Field { tag: 13, name: "terminationMessagePath", ty: Ty::String, repeated: false },
            Field { tag: 20, name: "terminationMessagePolicy", ty: Ty::String, repeated: false },
            Field { tag: 14, name: "imagePullPolicy", ty: Ty::String, repeated: false },
            Field { tag: 15, name: "securityContext", ty: Ty::Message("k8s.io.api.core.v1.SecurityContext"), repeated: false },
            Field { tag: 16, name: "stdin", ty: Ty::Bool, repeated: false },
            Field { tag: 17, name: "stdinOnce", ty: Ty::Bool, repeated: false },
            Field { tag: 18, name: "tty", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerExtendedResourceRequest",
        &[
            Field { tag: 1, name: "containerName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resourceName", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "requestName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerPort",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "hostPort", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "containerPort", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "hostIP", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerResizePolicy",
        &[
            Field { tag: 1, name: "resourceName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "restartPolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerRestartRule",
        &[
            Field { tag: 1, name: "action", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "exitCodes", ty: Ty::Message("k8s.io.api.core.v1.ContainerRestartRuleOnExitCodes"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerRestartRuleOnExitCodes",
        &[
            Field { tag: 1, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "values", ty: Ty::Int32, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerState",
        &[
            Field { tag: 1, name: "waiting", ty: Ty::Message("k8s.io.api.core.v1.ContainerStateWaiting"), repeated: false },
            Field { tag: 2, name: "running", ty: Ty::Message("k8s.io.api.core.v1.ContainerStateRunning"), repeated: false },
            Field { tag: 3, name: "terminated", ty: Ty::Message("k8s.io.api.core.v1.ContainerStateTerminated"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerStateRunning",
        &[
            Field { tag: 1, name: "startedAt", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerStateTerminated",
        &[
            Field { tag: 1, name: "exitCode", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "signal", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "message", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "startedAt", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 6, name: "finishedAt", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 7, name: "containerID", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerStateWaiting",
        &[
            Field { tag: 1, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerStatus",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "state", ty: Ty::Message("k8s.io.api.core.v1.ContainerState"), repeated: false },
            Field { tag: 3, name: "lastState", ty: Ty::Message("k8s.io.api.core.v1.ContainerState"), repeated: false },
            Field { tag: 4, name: "ready", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "restartCount", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "image", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "imageID", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "containerID", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "started", ty: Ty::Bool, repeated: false },
            Field { tag: 10, name: "allocatedResources", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 11, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceRequirements"), repeated: false },
            Field { tag: 12, name: "volumeMounts", ty: Ty::Message("k8s.io.api.core.v1.VolumeMountStatus"), repeated: true },
            Field { tag: 13, name: "user", ty: Ty::Message("k8s.io.api.core.v1.ContainerUser"), repeated: false },
            Field { tag: 14, name: "allocatedResourcesStatus", ty: Ty::Message("k8s.io.api.core.v1.ResourceStatus"), repeated: true },
            Field { tag: 15, name: "stopSignal", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ContainerUser",
        &[
            Field { tag: 1, name: "linux", ty: Ty::Message("k8s.io.api.core.v1.LinuxContainerUser"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.DownwardAPIProjection",
        &[
            Field { tag: 1, name: "items", ty: Ty::Message("k8s.io.api.core.v1.DownwardAPIVolumeFile"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.DownwardAPIVolumeFile",
        &[
            Field { tag: 1, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fieldRef", ty: Ty::Message("k8s.io.api.core.v1.ObjectFieldSelector"), repeated: false },
            Field { tag: 3, name: "resourceFieldRef", ty: Ty::Message("k8s.io.api.core.v1.ResourceFieldSelector"), repeated: false },
            Field { tag: 4, name: "mode", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.DownwardAPIVolumeSource",
        &[
            Field { tag: 1, name: "items", ty: Ty::Message("k8s.io.api.core.v1.DownwardAPIVolumeFile"), repeated: true },
            Field { tag: 2, name: "defaultMode", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EmptyDirVolumeSource",
        &[
            Field { tag: 1, name: "medium", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "sizeLimit", ty: Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EndpointAddress",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "hostname", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "nodeName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "targetRef", ty: Ty::Message("k8s.io.api.core.v1.ObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EndpointPort",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "port", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "appProtocol", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EndpointSubset",
        &[
            Field { tag: 1, name: "addresses", ty: Ty::Message("k8s.io.api.core.v1.EndpointAddress"), repeated: true },
            Field { tag: 2, name: "notReadyAddresses", ty: Ty::Message("k8s.io.api.core.v1.EndpointAddress"), repeated: true },
            Field { tag: 3, name: "ports", ty: Ty::Message("k8s.io.api.core.v1.EndpointPort"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.Endpoints",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "subsets", ty: Ty::Message("k8s.io.api.core.v1.EndpointSubset"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.EnvFromSource",
        &[
            Field { tag: 1, name: "prefix", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "configMapRef", ty: Ty::Message("k8s.io.api.core.v1.ConfigMapEnvSource"), repeated: false },
            Field { tag: 3, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.SecretEnvSource"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EnvVar",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "value", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "valueFrom", ty: Ty::Message("k8s.io.api.core.v1.EnvVarSource"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EnvVarSource",
        &[
            Field { tag: 1, name: "fieldRef", ty: Ty::Message("k8s.io.api.core.v1.ObjectFieldSelector"), repeated: false },
            Field { tag: 2, name: "resourceFieldRef", ty: Ty::Message("k8s.io.api.core.v1.ResourceFieldSelector"), repeated: false },
            Field { tag: 3, name: "configMapKeyRef", ty: Ty::Message("k8s.io.api.core.v1.ConfigMapKeySelector"), repeated: false },
            Field { tag: 4, name: "secretKeyRef", ty: Ty::Message("k8s.io.api.core.v1.SecretKeySelector"), repeated: false },
            Field { tag: 5, name: "fileKeyRef", ty: Ty::Message("k8s.io.api.core.v1.FileKeySelector"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EphemeralContainer",
        &[
            Field { tag: 1, name: "ephemeralContainerCommon", ty: Ty::Message("k8s.io.api.core.v1.EphemeralContainerCommon"), repeated: false },
            Field { tag: 2, name: "targetContainerName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EphemeralContainerCommon",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "image", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "command", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "args", ty: Ty::String, repeated: true },
            Field { tag: 5, name: "workingDir", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "ports", ty: Ty::Message("k8s.io.api.core.v1.ContainerPort"), repeated: true },
            Field { tag: 19, name: "envFrom", ty: Ty::Message("k8s.io.api.core.v1.EnvFromSource"), repeated: true },
            Field { tag: 7, name: "env", ty: Ty::Message("k8s.io.api.core.v1.EnvVar"), repeated: true },
            Field { tag: 8, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceRequirements"), repeated: false },
            Field { tag: 23, name: "resizePolicy", ty: Ty::Message("k8s.io.api.core.v1.ContainerResizePolicy"), repeated: true },
            Field { tag: 24, name: "restartPolicy", ty: Ty::String, repeated: false },
            Field { tag: 25, name: "restartPolicyRules", ty: Ty::Message("k8s.io.api.core.v1.ContainerRestartRule"), repeated: true },
            Field { tag: 9, name: "volumeMounts", ty: Ty::Message("k8s.io.api.core.v1.VolumeMount"), repeated: true },
            Field { tag: 21, name: "volumeDevices", ty: Ty::Message("k8s.io.api.core.v1.VolumeDevice"), repeated: true },
            Field { tag: 10, name: "livenessProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 11, name: "readinessProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 22, name: "startupProbe", ty: Ty::Message("k8s.io.api.core.v1.Probe"), repeated: false },
            Field { tag: 12, name: "lifecycle", ty: Ty::Message("k8s.io.api.core.v1.Lifecycle"), repeated: false },
            Field { tag: 13, name: "terminationMessagePath", ty: Ty::String, repeated: false },
            Field { tag: 20, name: "terminationMessagePolicy", ty: Ty::String, repeated: false },
            Field { tag: 14, name: "imagePullPolicy", ty: Ty::String, repeated: false },
            Field { tag: 15, name: "securityContext", ty: Ty::Message("k8s.io.api.core.v1.SecurityContext"), repeated: false },
            Field { tag: 16, name: "stdin", ty: Ty::Bool, repeated: false },
            Field { tag: 17, name: "stdinOnce", ty: Ty::Bool, repeated: false },
            Field { tag: 18, name: "tty", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.EphemeralVolumeSource",
        &[
            Field { tag: 1, name: "volumeClaimTemplate", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimTemplate"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ExecAction",
        &[
            Field { tag: 1, name: "command", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.FCVolumeSource",
        &[
            Field { tag: 1, name: "targetWWNs", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "lun", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "wwids", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.FileKeySelector",
        &[
            Field { tag: 1, name: "volumeName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.FlexVolumeSource",
        &[
            Field { tag: 1, name: "driver", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 4, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "options", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.FlockerVolumeSource",
        &[
            Field { tag: 1, name: "datasetName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "datasetUUID", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.GCEPersistentDiskVolumeSource",
        &[
            Field { tag: 1, name: "pdName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "partition", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.GRPCAction",
        &[
            Field { tag: 1, name: "port", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "service", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.GitRepoVolumeSource",
        &[
            Field { tag: 1, name: "repository", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "revision", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "directory", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.GlusterfsVolumeSource",
        &[
            Field { tag: 1, name: "endpoints", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.HTTPGetAction",
        &[
            Field { tag: 1, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "port", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 3, name: "host", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "scheme", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "httpHeaders", ty: Ty::Message("k8s.io.api.core.v1.HTTPHeader"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.HTTPHeader",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "value", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.HostAlias",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "hostnames", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.HostIP",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.HostPathVolumeSource",
        &[
            Field { tag: 1, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "type", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ISCSIVolumeSource",
        &[
            Field { tag: 1, name: "targetPortal", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "iqn", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lun", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "iscsiInterface", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 7, name: "portals", ty: Ty::String, repeated: true },
            Field { tag: 8, name: "chapAuthDiscovery", ty: Ty::Bool, repeated: false },
            Field { tag: 11, name: "chapAuthSession", ty: Ty::Bool, repeated: false },
            Field { tag: 10, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 12, name: "initiatorName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ImageVolumeSource",
        &[
            Field { tag: 1, name: "reference", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "pullPolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ImageVolumeStatus",
        &[
            Field { tag: 1, name: "imageRef", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.KeyToPath",
        &[
            Field { tag: 1, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "mode", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Lifecycle",
        &[
            Field { tag: 1, name: "postStart", ty: Ty::Message("k8s.io.api.core.v1.LifecycleHandler"), repeated: false },
            Field { tag: 2, name: "preStop", ty: Ty::Message("k8s.io.api.core.v1.LifecycleHandler"), repeated: false },
            Field { tag: 3, name: "stopSignal", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.LifecycleHandler",
        &[
            Field { tag: 1, name: "exec", ty: Ty::Message("k8s.io.api.core.v1.ExecAction"), repeated: false },
            Field { tag: 2, name: "httpGet", ty: Ty::Message("k8s.io.api.core.v1.HTTPGetAction"), repeated: false },
            Field { tag: 3, name: "tcpSocket", ty: Ty::Message("k8s.io.api.core.v1.TCPSocketAction"), repeated: false },
            Field { tag: 4, name: "sleep", ty: Ty::Message("k8s.io.api.core.v1.SleepAction"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.LimitRange",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.LimitRangeSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.LimitRangeItem",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "max", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 3, name: "min", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 4, name: "default", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 5, name: "defaultRequest", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 6, name: "maxLimitRequestRatio", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.LimitRangeSpec",
        &[
            Field { tag: 1, name: "limits", ty: Ty::Message("k8s.io.api.core.v1.LimitRangeItem"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.LinuxContainerUser",
        &[
            Field { tag: 1, name: "uid", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "gid", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "supplementalGroups", ty: Ty::Int64, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.LoadBalancerIngress",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "hostname", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "ipMode", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "ports", ty: Ty::Message("k8s.io.api.core.v1.PortStatus"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.LoadBalancerStatus",
        &[
            Field { tag: 1, name: "ingress", ty: Ty::Message("k8s.io.api.core.v1.LoadBalancerIngress"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.LocalObjectReference",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ModifyVolumeStatus",
        &[
            Field { tag: 1, name: "targetVolumeAttributesClassName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.NFSVolumeSource",
        &[
            Field { tag: 1, name: "server", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Namespace",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.NamespaceSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.core.v1.NamespaceStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.NamespaceCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.NamespaceSpec",
        &[
            Field { tag: 1, name: "finalizers", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.NamespaceStatus",
        &[
            Field { tag: 1, name: "phase", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "conditions", ty: Ty::Message("k8s.io.api.core.v1.NamespaceCondition"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.NodeAffinity",
        &[
            Field { tag: 1, name: "requiredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.NodeSelector"), repeated: false },
            Field { tag: 2, name: "preferredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.PreferredSchedulingTerm"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.NodeSelector",
        &[
            Field { tag: 1, name: "nodeSelectorTerms", ty: Ty::Message("k8s.io.api.core.v1.NodeSelectorTerm"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.NodeSelectorRequirement",
        &[
            Field { tag: 1, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "values", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.NodeSelectorTerm",
        &[
            Field { tag: 1, name: "matchExpressions", ty: Ty::Message("k8s.io.api.core.v1.NodeSelectorRequirement"), repeated: true },
            Field { tag: 2, name: "matchFields", ty: Ty::Message("k8s.io.api.core.v1.NodeSelectorRequirement"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.ObjectFieldSelector",
        &[
            Field { tag: 1, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fieldPath", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ObjectReference",
        &[
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "namespace", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "resourceVersion", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "fieldPath", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaim",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastProbeTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimSpec",
        &[
            Field { tag: 1, name: "accessModes", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 2, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.VolumeResourceRequirements"), repeated: false },
            Field { tag: 3, name: "volumeName", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "storageClassName", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "volumeMode", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "dataSource", ty: Ty::Message("k8s.io.api.core.v1.TypedLocalObjectReference"), repeated: false },
            Field { tag: 8, name: "dataSourceRef", ty: Ty::Message("k8s.io.api.core.v1.TypedObjectReference"), repeated: false },
            Field { tag: 9, name: "volumeAttributesClassName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimStatus",
        &[
            Field { tag: 1, name: "phase", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "accessModes", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "capacity", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 4, name: "conditions", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimCondition"), repeated: true },
            Field { tag: 5, name: "allocatedResources", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 7, name: "allocatedResourceStatuses", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 8, name: "currentVolumeAttributesClassName", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "modifyVolumeStatus", ty: Ty::Message("k8s.io.api.core.v1.ModifyVolumeStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimTemplate",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource",
        &[
            Field { tag: 1, name: "claimName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource",
        &[
            Field { tag: 1, name: "pdID", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Pod",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.PodSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.core.v1.PodStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodAffinity",
        &[
            Field { tag: 1, name: "requiredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.PodAffinityTerm"), repeated: true },
            Field { tag: 2, name: "preferredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.WeightedPodAffinityTerm"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodAffinityTerm",
        &[
            Field { tag: 1, name: "labelSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 2, name: "namespaces", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "topologyKey", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "namespaceSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 5, name: "matchLabelKeys", ty: Ty::String, repeated: true },
            Field { tag: 6, name: "mismatchLabelKeys", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodAntiAffinity",
        &[
            Field { tag: 1, name: "requiredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.PodAffinityTerm"), repeated: true },
            Field { tag: 2, name: "preferredDuringSchedulingIgnoredDuringExecution", ty: Ty::Message("k8s.io.api.core.v1.WeightedPodAffinityTerm"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodCertificateProjection",
        &[
            Field { tag: 1, name: "signerName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "keyType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "maxExpirationSeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "credentialBundlePath", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "keyPath", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "certificateChainPath", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "userAnnotations", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodCondition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "lastProbeTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 4, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodDNSConfig",
        &[
            Field { tag: 1, name: "nameservers", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "searches", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "options", ty: Ty::Message("k8s.io.api.core.v1.PodDNSConfigOption"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodDNSConfigOption",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "value", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodExtendedResourceClaimStatus",
        &[
            Field { tag: 1, name: "requestMappings", ty: Ty::Message("k8s.io.api.core.v1.ContainerExtendedResourceRequest"), repeated: true },
            Field { tag: 2, name: "resourceClaimName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodIP",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodOS",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodReadinessGate",
        &[
            Field { tag: 1, name: "conditionType", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodResourceClaim",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "resourceClaimName", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "resourceClaimTemplateName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodResourceClaimStatus",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resourceClaimName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodSchedulingGate",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodSecurityContext",
        &[
            Field { tag: 1, name: "seLinuxOptions", ty: Ty::Message("k8s.io.api.core.v1.SELinuxOptions"), repeated: false },
            Field { tag: 8, name: "windowsOptions", ty: Ty::Message("k8s.io.api.core.v1.WindowsSecurityContextOptions"), repeated: false },
            Field { tag: 2, name: "runAsUser", ty: Ty::Int64, repeated: false },
            Field { tag: 6, name: "runAsGroup", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "runAsNonRoot", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "supplementalGroups", ty: Ty::Int64, repeated: true },
            Field { tag: 12, name: "supplementalGroupsPolicy", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "fsGroup", ty: Ty::Int64, repeated: false },
            Field { tag: 7, name: "sysctls", ty: Ty::Message("k8s.io.api.core.v1.Sysctl"), repeated: true },
            Field { tag: 9, name: "fsGroupChangePolicy", ty: Ty::String, repeated: false },
            Field { tag: 10, name: "seccompProfile", ty: Ty::Message("k8s.io.api.core.v1.SeccompProfile"), repeated: false },
            Field { tag: 11, name: "appArmorProfile", ty: Ty::Message("k8s.io.api.core.v1.AppArmorProfile"), repeated: false },
            Field { tag: 13, name: "seLinuxChangePolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodSpec",
        &[
            Field { tag: 1, name: "volumes", ty: Ty::Message("k8s.io.api.core.v1.Volume"), repeated: true },
            Field { tag: 20, name: "initContainers", ty: Ty::Message("k8s.io.api.core.v1.Container"), repeated: true },
            Field { tag: 2, name: "containers", ty: Ty::Message("k8s.io.api.core.v1.Container"), repeated: true },
            Field { tag: 34, name: "ephemeralContainers", ty: Ty::Message("k8s.io.api.core.v1.EphemeralContainer"), repeated: true },
            Field { tag: 3, name: "restartPolicy", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "terminationGracePeriodSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 5, name: "activeDeadlineSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 6, name: "dnsPolicy", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "nodeSelector", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 8, name: "serviceAccountName", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "serviceAccount", ty: Ty::String, repeated: false },
            Field { tag: 21, name: "automountServiceAccountToken", ty: Ty::Bool, repeated: false },
            Field { tag: 10, name: "nodeName", ty: Ty::String, repeated: false },
            Field { tag: 11, name: "hostNetwork", ty: Ty::Bool, repeated: false },
            Field { tag: 12, name: "hostPID", ty: Ty::Bool, repeated: false },
            Field { tag: 13, name: "hostIPC", ty: Ty::Bool, repeated: false },
            Field { tag: 27, name: "shareProcessNamespace", ty: Ty::Bool, repeated: false },
            Field { tag: 14, name: "securityContext", ty: Ty::Message("k8s.io.api.core.v1.PodSecurityContext"), repeated: false },
            Field { tag: 15, name: "imagePullSecrets", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: true },
            Field { tag: 16, name: "hostname", ty: Ty::String, repeated: false },
            Field { tag: 17, name: "subdomain", ty: Ty::String, repeated: false },
            Field { tag: 18, name: "affinity", ty: Ty::Message("k8s.io.api.core.v1.Affinity"), repeated: false },
            Field { tag: 19, name: "schedulerName", ty: Ty::String, repeated: false },
            Field { tag: 22, name: "tolerations", ty: Ty::Message("k8s.io.api.core.v1.Toleration"), repeated: true },
            Field { tag: 23, name: "hostAliases", ty: Ty::Message("k8s.io.api.core.v1.HostAlias"), repeated: true },
            Field { tag: 24, name: "priorityClassName", ty: Ty::String, repeated: false },
            Field { tag: 25, name: "priority", ty: Ty::Int32, repeated: false },
            Field { tag: 26, name: "dnsConfig", ty: Ty::Message("k8s.io.api.core.v1.PodDNSConfig"), repeated: false },
            Field { tag: 28, name: "readinessGates", ty: Ty::Message("k8s.io.api.core.v1.PodReadinessGate"), repeated: true },
            Field { tag: 29, name: "runtimeClassName", ty: Ty::String, repeated: false },
            Field { tag: 30, name: "enableServiceLinks", ty: Ty::Bool, repeated: false },
            Field { tag: 31, name: "preemptionPolicy", ty: Ty::String, repeated: false },
            Field { tag: 32, name: "overhead", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 33, name: "topologySpreadConstraints", ty: Ty::Message("k8s.io.api.core.v1.TopologySpreadConstraint"), repeated: true },
            Field { tag: 35, name: "setHostnameAsFQDN", ty: Ty::Bool, repeated: false },
            Field { tag: 36, name: "os", ty: Ty::Message("k8s.io.api.core.v1.PodOS"), repeated: false },
            Field { tag: 37, name: "hostUsers", ty: Ty::Bool, repeated: false },
            Field { tag: 38, name: "schedulingGates", ty: Ty::Message("k8s.io.api.core.v1.PodSchedulingGate"), repeated: true },
            Field { tag: 39, name: "resourceClaims", ty: Ty::Message("k8s.io.api.core.v1.PodResourceClaim"), repeated: true },
            Field { tag: 40, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceRequirements"), repeated: false },
            Field { tag: 41, name: "hostnameOverride", ty: Ty::String, repeated: false },
            Field { tag: 42, name: "workloadRef", ty: Ty::Message("k8s.io.api.core.v1.WorkloadReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodStatus",
        &[
            Field { tag: 17, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 1, name: "phase", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "conditions", ty: Ty::Message("k8s.io.api.core.v1.PodCondition"), repeated: true },
            Field { tag: 3, name: "message", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 11, name: "nominatedNodeName", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "hostIP", ty: Ty::String, repeated: false },
            Field { tag: 16, name: "hostIPs", ty: Ty::Message("k8s.io.api.core.v1.HostIP"), repeated: true },
            Field { tag: 6, name: "podIP", ty: Ty::String, repeated: false },
            Field { tag: 12, name: "podIPs", ty: Ty::Message("k8s.io.api.core.v1.PodIP"), repeated: true },
            Field { tag: 7, name: "startTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 10, name: "initContainerStatuses", ty: Ty::Message("k8s.io.api.core.v1.ContainerStatus"), repeated: true },
            Field { tag: 8, name: "containerStatuses", ty: Ty::Message("k8s.io.api.core.v1.ContainerStatus"), repeated: true },
            Field { tag: 9, name: "qosClass", ty: Ty::String, repeated: false },
            Field { tag: 13, name: "ephemeralContainerStatuses", ty: Ty::Message("k8s.io.api.core.v1.ContainerStatus"), repeated: true },
            Field { tag: 14, name: "resize", ty: Ty::String, repeated: false },
            Field { tag: 15, name: "resourceClaimStatuses", ty: Ty::Message("k8s.io.api.core.v1.PodResourceClaimStatus"), repeated: true },
            Field { tag: 18, name: "extendedResourceClaimStatus", ty: Ty::Message("k8s.io.api.core.v1.PodExtendedResourceClaimStatus"), repeated: false },
            Field { tag: 19, name: "allocatedResources", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 20, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceRequirements"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PodTemplateSpec",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.PodSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PortStatus",
        &[
            Field { tag: 1, name: "port", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "error", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PortworxVolumeSource",
        &[
            Field { tag: 1, name: "volumeID", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.PreferredSchedulingTerm",
        &[
            Field { tag: 1, name: "weight", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "preference", ty: Ty::Message("k8s.io.api.core.v1.NodeSelectorTerm"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Probe",
        &[
            Field { tag: 1, name: "handler", ty: Ty::Message("k8s.io.api.core.v1.ProbeHandler"), repeated: false },
            Field { tag: 2, name: "initialDelaySeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "timeoutSeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "periodSeconds", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "successThreshold", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "failureThreshold", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "terminationGracePeriodSeconds", ty: Ty::Int64, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ProbeHandler",
        &[
            Field { tag: 1, name: "exec", ty: Ty::Message("k8s.io.api.core.v1.ExecAction"), repeated: false },
            Field { tag: 2, name: "httpGet", ty: Ty::Message("k8s.io.api.core.v1.HTTPGetAction"), repeated: false },
            Field { tag: 3, name: "tcpSocket", ty: Ty::Message("k8s.io.api.core.v1.TCPSocketAction"), repeated: false },
            Field { tag: 4, name: "grpc", ty: Ty::Message("k8s.io.api.core.v1.GRPCAction"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ProjectedVolumeSource",
        &[
            Field { tag: 1, name: "sources", ty: Ty::Message("k8s.io.api.core.v1.VolumeProjection"), repeated: true },
            Field { tag: 2, name: "defaultMode", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.QuobyteVolumeSource",
        &[
            Field { tag: 1, name: "registry", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "volume", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "user", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "group", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "tenant", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.RBDVolumeSource",
        &[
            Field { tag: 1, name: "monitors", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "image", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "pool", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "user", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "keyring", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 8, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceClaim",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "request", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceFieldSelector",
        &[
            Field { tag: 1, name: "containerName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resource", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "divisor", ty: Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceHealth",
        &[
            Field { tag: 1, name: "resourceID", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "health", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceQuota",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.ResourceQuotaSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.core.v1.ResourceQuotaStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceQuotaSpec",
        &[
            Field { tag: 1, name: "hard", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 2, name: "scopes", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "scopeSelector", ty: Ty::Message("k8s.io.api.core.v1.ScopeSelector"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceQuotaStatus",
        &[
            Field { tag: 1, name: "hard", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 2, name: "used", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceRequirements",
        &[
            Field { tag: 1, name: "limits", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 2, name: "requests", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 3, name: "claims", ty: Ty::Message("k8s.io.api.core.v1.ResourceClaim"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.ResourceStatus",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resources", ty: Ty::Message("k8s.io.api.core.v1.ResourceHealth"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.SELinuxOptions",
        &[
            Field { tag: 1, name: "user", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "role", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "level", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ScaleIOVolumeSource",
        &[
            Field { tag: 1, name: "gateway", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "system", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 4, name: "sslEnabled", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "protectionDomain", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "storagePool", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "storageMode", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "volumeName", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 10, name: "readOnly", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ScopeSelector",
        &[
            Field { tag: 1, name: "matchExpressions", ty: Ty::Message("k8s.io.api.core.v1.ScopedResourceSelectorRequirement"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.ScopedResourceSelectorRequirement",
        &[
            Field { tag: 1, name: "scopeName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "values", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.SeccompProfile",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "localhostProfile", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Secret",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 5, name: "immutable", ty: Ty::Bool, repeated: false },
            Field { tag: 2, name: "data", ty: Ty::Map(&Ty::String, &Ty::Bytes), repeated: false },
            Field { tag: 4, name: "stringData", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 3, name: "type", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SecretEnvSource",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SecretKeySelector",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SecretProjection",
        &[
            Field { tag: 1, name: "localObjectReference", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
            Field { tag: 2, name: "items", ty: Ty::Message("k8s.io.api.core.v1.KeyToPath"), repeated: true },
            Field { tag: 4, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SecretVolumeSource",
        &[
            Field { tag: 1, name: "secretName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "items", ty: Ty::Message("k8s.io.api.core.v1.KeyToPath"), repeated: true },
            Field { tag: 3, name: "defaultMode", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "optional", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SecurityContext",
        &[
            Field { tag: 1, name: "capabilities", ty: Ty::Message("k8s.io.api.core.v1.Capabilities"), repeated: false },
            Field { tag: 2, name: "privileged", ty: Ty::Bool, repeated: false },
            Field { tag: 3, name: "seLinuxOptions", ty: Ty::Message("k8s.io.api.core.v1.SELinuxOptions"), repeated: false },
            Field { tag: 10, name: "windowsOptions", ty: Ty::Message("k8s.io.api.core.v1.WindowsSecurityContextOptions"), repeated: false },
            Field { tag: 4, name: "runAsUser", ty: Ty::Int64, repeated: false },
            Field { tag: 8, name: "runAsGroup", ty: Ty::Int64, repeated: false },
            Field { tag: 5, name: "runAsNonRoot", ty: Ty::Bool, repeated: false },
            Field { tag: 6, name: "readOnlyRootFilesystem", ty: Ty::Bool, repeated: false },
            Field { tag: 7, name: "allowPrivilegeEscalation", ty: Ty::Bool, repeated: false },
            Field { tag: 9, name: "procMount", ty: Ty::String, repeated: false },
            Field { tag: 11, name: "seccompProfile", ty: Ty::Message("k8s.io.api.core.v1.SeccompProfile"), repeated: false },
            Field { tag: 12, name: "appArmorProfile", ty: Ty::Message("k8s.io.api.core.v1.AppArmorProfile"), repeated: false },
            Field { tag: 13, name: "ulimits", ty: Ty::Message("k8s.io.api.core.v1.Ulimit"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.Service",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.core.v1.ServiceSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.core.v1.ServiceStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ServiceAccount",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "secrets", ty: Ty::Message("k8s.io.api.core.v1.ObjectReference"), repeated: true },
            Field { tag: 3, name: "imagePullSecrets", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: true },
            Field { tag: 4, name: "automountServiceAccountToken", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ServiceAccountTokenProjection",
        &[
            Field { tag: 1, name: "audience", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "expirationSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "path", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ServicePort",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "appProtocol", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "port", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "targetPort", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 5, name: "nodePort", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ServiceSpec",
        &[
            Field { tag: 1, name: "ports", ty: Ty::Message("k8s.io.api.core.v1.ServicePort"), repeated: true },
            Field { tag: 2, name: "selector", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 3, name: "clusterIP", ty: Ty::String, repeated: false },
            Field { tag: 18, name: "clusterIPs", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "externalIPs", ty: Ty::String, repeated: true },
            Field { tag: 7, name: "sessionAffinity", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "loadBalancerIP", ty: Ty::String, repeated: false },
            Field { tag: 9, name: "loadBalancerSourceRanges", ty: Ty::String, repeated: true },
            Field { tag: 10, name: "externalName", ty: Ty::String, repeated: false },
            Field { tag: 11, name: "externalTrafficPolicy", ty: Ty::String, repeated: false },
            Field { tag: 12, name: "healthCheckNodePort", ty: Ty::Int32, repeated: false },
            Field { tag: 13, name: "publishNotReadyAddresses", ty: Ty::Bool, repeated: false },
            Field { tag: 14, name: "sessionAffinityConfig", ty: Ty::Message("k8s.io.api.core.v1.SessionAffinityConfig"), repeated: false },
            Field { tag: 19, name: "ipFamilies", ty: Ty::String, repeated: true },
            Field { tag: 17, name: "ipFamilyPolicy", ty: Ty::String, repeated: false },
            Field { tag: 20, name: "allocateLoadBalancerNodePorts", ty: Ty::Bool, repeated: false },
            Field { tag: 21, name: "loadBalancerClass", ty: Ty::String, repeated: false },
            Field { tag: 22, name: "internalTrafficPolicy", ty: Ty::String, repeated: false },
            Field { tag: 23, name: "trafficDistribution", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.ServiceStatus",
        &[
            Field { tag: 1, name: "loadBalancer", ty: Ty::Message("k8s.io.api.core.v1.LoadBalancerStatus"), repeated: false },
            Field { tag: 2, name: "conditions", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Condition"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.SessionAffinityConfig",
        &[
            Field { tag: 1, name: "clientIP", ty: Ty::Message("k8s.io.api.core.v1.ClientIPConfig"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.SleepAction",
        &[
            Field { tag: 1, name: "seconds", ty: Ty::Int64, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.StorageOSVolumeSource",
        &[
            Field { tag: 1, name: "volumeName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "volumeNamespace", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 5, name: "secretRef", ty: Ty::Message("k8s.io.api.core.v1.LocalObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Sysctl",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "value", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.TCPSocketAction",
        &[
            Field { tag: 1, name: "port", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 2, name: "host", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Toleration",
        &[
            Field { tag: 1, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "value", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "effect", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "tolerationSeconds", ty: Ty::Int64, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.TopologySpreadConstraint",
        &[
            Field { tag: 1, name: "maxSkew", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "topologyKey", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "whenUnsatisfiable", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "labelSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 5, name: "minDomains", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "nodeAffinityPolicy", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "nodeTaintsPolicy", ty: Ty::String, repeated: false },
            Field { tag: 8, name: "matchLabelKeys", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.core.v1.TypedLocalObjectReference",
        &[
            Field { tag: 1, name: "apiGroup", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.TypedObjectReference",
        &[
            Field { tag: 1, name: "apiGroup", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "namespace", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Ulimit",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "hard", ty: Ty::Int64, repeated: false },
            Field { tag: 3, name: "soft", ty: Ty::Int64, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.Volume",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "volumeSource", ty: Ty::Message("k8s.io.api.core.v1.VolumeSource"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeDevice",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "devicePath", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeMount",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 7, name: "recursiveReadOnly", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "mountPath", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "subPath", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "mountPropagation", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "subPathExpr", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeMountStatus",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "mountPath", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "readOnly", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "recursiveReadOnly", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "volumeStatus", ty: Ty::Message("k8s.io.api.core.v1.VolumeStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeProjection",
        &[
            Field { tag: 1, name: "secret", ty: Ty::Message("k8s.io.api.core.v1.SecretProjection"), repeated: false },
            Field { tag: 2, name: "downwardAPI", ty: Ty::Message("k8s.io.api.core.v1.DownwardAPIProjection"), repeated: false },
            Field { tag: 3, name: "configMap", ty: Ty::Message("k8s.io.api.core.v1.ConfigMapProjection"), repeated: false },
            Field { tag: 4, name: "serviceAccountToken", ty: Ty::Message("k8s.io.api.core.v1.ServiceAccountTokenProjection"), repeated: false },
            Field { tag: 5, name: "clusterTrustBundle", ty: Ty::Message("k8s.io.api.core.v1.ClusterTrustBundleProjection"), repeated: false },
            Field { tag: 6, name: "podCertificate", ty: Ty::Message("k8s.io.api.core.v1.PodCertificateProjection"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeResourceRequirements",
        &[
            Field { tag: 1, name: "limits", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
            Field { tag: 2, name: "requests", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.api.resource.Quantity")), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeSource",
        &[
            Field { tag: 1, name: "hostPath", ty: Ty::Message("k8s.io.api.core.v1.HostPathVolumeSource"), repeated: false },
            Field { tag: 2, name: "emptyDir", ty: Ty::Message("k8s.io.api.core.v1.EmptyDirVolumeSource"), repeated: false },
            Field { tag: 3, name: "gcePersistentDisk", ty: Ty::Message("k8s.io.api.core.v1.GCEPersistentDiskVolumeSource"), repeated: false },
            Field { tag: 4, name: "awsElasticBlockStore", ty: Ty::Message("k8s.io.api.core.v1.AWSElasticBlockStoreVolumeSource"), repeated: false },
            Field { tag: 5, name: "gitRepo", ty: Ty::Message("k8s.io.api.core.v1.GitRepoVolumeSource"), repeated: false },
            Field { tag: 6, name: "secret", ty: Ty::Message("k8s.io.api.core.v1.SecretVolumeSource"), repeated: false },
            Field { tag: 7, name: "nfs", ty: Ty::Message("k8s.io.api.core.v1.NFSVolumeSource"), repeated: false },
            Field { tag: 8, name: "iscsi", ty: Ty::Message("k8s.io.api.core.v1.ISCSIVolumeSource"), repeated: false },
            Field { tag: 9, name: "glusterfs", ty: Ty::Message("k8s.io.api.core.v1.GlusterfsVolumeSource"), repeated: false },
            Field { tag: 10, name: "persistentVolumeClaim", ty: Ty::Message("k8s.io.api.core.v1.PersistentVolumeClaimVolumeSource"), repeated: false },
            Field { tag: 11, name: "rbd", ty: Ty::Message("k8s.io.api.core.v1.RBDVolumeSource"), repeated: false },
            Field { tag: 12, name: "flexVolume", ty: Ty::Message("k8s.io.api.core.v1.FlexVolumeSource"), repeated: false },
            Field { tag: 13, name: "cinder", ty: Ty::Message("k8s.io.api.core.v1.CinderVolumeSource"), repeated: false },
            Field { tag: 14, name: "cephfs", ty: Ty::Message("k8s.io.api.core.v1.CephFSVolumeSource"), repeated: false },
            Field { tag: 15, name: "flocker", ty: Ty::Message("k8s.io.api.core.v1.FlockerVolumeSource"), repeated: false },
            Field { tag: 16, name: "downwardAPI", ty: Ty::Message("k8s.io.api.core.v1.DownwardAPIVolumeSource"), repeated: false },
            Field { tag: 17, name: "fc", ty: Ty::Message("k8s.io.api.core.v1.FCVolumeSource"), repeated: false },
            Field { tag: 18, name: "azureFile", ty: Ty::Message("k8s.io.api.core.v1.AzureFileVolumeSource"), repeated: false },
            Field { tag: 19, name: "configMap", ty: Ty::Message("k8s.io.api.core.v1.ConfigMapVolumeSource"), repeated: false },
            Field { tag: 20, name: "vsphereVolume", ty: Ty::Message("k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource"), repeated: false },
            Field { tag: 21, name: "quobyte", ty: Ty::Message("k8s.io.api.core.v1.QuobyteVolumeSource"), repeated: false },
            Field { tag: 22, name: "azureDisk", ty: Ty::Message("k8s.io.api.core.v1.AzureDiskVolumeSource"), repeated: false },
            Field { tag: 23, name: "photonPersistentDisk", ty: Ty::Message("k8s.io.api.core.v1.PhotonPersistentDiskVolumeSource"), repeated: false },
            Field { tag: 26, name: "projected", ty: Ty::Message("k8s.io.api.core.v1.ProjectedVolumeSource"), repeated: false },
            Field { tag: 24, name: "portworxVolume", ty: Ty::Message("k8s.io.api.core.v1.PortworxVolumeSource"), repeated: false },
            Field { tag: 25, name: "scaleIO", ty: Ty::Message("k8s.io.api.core.v1.ScaleIOVolumeSource"), repeated: false },
            Field { tag: 27, name: "storageos", ty: Ty::Message("k8s.io.api.core.v1.StorageOSVolumeSource"), repeated: false },
            Field { tag: 28, name: "csi", ty: Ty::Message("k8s.io.api.core.v1.CSIVolumeSource"), repeated: false },
            Field { tag: 29, name: "ephemeral", ty: Ty::Message("k8s.io.api.core.v1.EphemeralVolumeSource"), repeated: false },
            Field { tag: 30, name: "image", ty: Ty::Message("k8s.io.api.core.v1.ImageVolumeSource"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VolumeStatus",
        &[
            Field { tag: 1, name: "image", ty: Ty::Message("k8s.io.api.core.v1.ImageVolumeStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.VsphereVirtualDiskVolumeSource",
        &[
            Field { tag: 1, name: "volumePath", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "fsType", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "storagePolicyName", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "storagePolicyID", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.WeightedPodAffinityTerm",
        &[
            Field { tag: 1, name: "weight", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "podAffinityTerm", ty: Ty::Message("k8s.io.api.core.v1.PodAffinityTerm"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.WindowsSecurityContextOptions",
        &[
            Field { tag: 1, name: "gmsaCredentialSpecName", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "gmsaCredentialSpec", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "runAsUserName", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "hostProcess", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.api.core.v1.WorkloadReference",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "podGroup", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "podGroupReplicaKey", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.HTTPIngressPath",
        &[
            Field { tag: 1, name: "path", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "pathType", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "backend", ty: Ty::Message("k8s.io.api.networking.v1.IngressBackend"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.HTTPIngressRuleValue",
        &[
            Field { tag: 1, name: "paths", ty: Ty::Message("k8s.io.api.networking.v1.HTTPIngressPath"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IPBlock",
        &[
            Field { tag: 1, name: "cidr", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "except", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.Ingress",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.networking.v1.IngressSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.networking.v1.IngressStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressBackend",
        &[
            Field { tag: 4, name: "service", ty: Ty::Message("k8s.io.api.networking.v1.IngressServiceBackend"), repeated: false },
            Field { tag: 3, name: "resource", ty: Ty::Message("k8s.io.api.core.v1.TypedLocalObjectReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressClass",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.networking.v1.IngressClassSpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressClassParametersReference",
        &[
            Field { tag: 1, name: "aPIGroup", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "scope", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "namespace", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressClassSpec",
        &[
            Field { tag: 1, name: "controller", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "parameters", ty: Ty::Message("k8s.io.api.networking.v1.IngressClassParametersReference"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressLoadBalancerIngress",
        &[
            Field { tag: 1, name: "ip", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "hostname", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "ports", ty: Ty::Message("k8s.io.api.networking.v1.IngressPortStatus"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressLoadBalancerStatus",
        &[
            Field { tag: 1, name: "ingress", ty: Ty::Message("k8s.io.api.networking.v1.IngressLoadBalancerIngress"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressPortStatus",
        &[
            Field { tag: 1, name: "port", ty: Ty::Int32, repeated: false },
            Field { tag: 2, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "error", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressRule",
        &[
            Field { tag: 1, name: "host", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "ingressRuleValue", ty: Ty::Message("k8s.io.api.networking.v1.IngressRuleValue"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressRuleValue",
        &[
            Field { tag: 1, name: "http", ty: Ty::Message("k8s.io.api.networking.v1.HTTPIngressRuleValue"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressServiceBackend",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "port", ty: Ty::Message("k8s.io.api.networking.v1.ServiceBackendPort"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressSpec",
        &[
            Field { tag: 4, name: "ingressClassName", ty: Ty::String, repeated: false },
            Field { tag: 1, name: "defaultBackend", ty: Ty::Message("k8s.io.api.networking.v1.IngressBackend"), repeated: false },
            Field { tag: 2, name: "tls", ty: Ty::Message("k8s.io.api.networking.v1.IngressTLS"), repeated: true },
            Field { tag: 3, name: "rules", ty: Ty::Message("k8s.io.api.networking.v1.IngressRule"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressStatus",
        &[
            Field { tag: 1, name: "loadBalancer", ty: Ty::Message("k8s.io.api.networking.v1.IngressLoadBalancerStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.IngressTLS",
        &[
            Field { tag: 1, name: "hosts", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "secretName", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicy",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicySpec"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicyEgressRule",
        &[
            Field { tag: 1, name: "ports", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyPort"), repeated: true },
            Field { tag: 2, name: "to", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyPeer"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicyIngressRule",
        &[
            Field { tag: 1, name: "ports", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyPort"), repeated: true },
            Field { tag: 2, name: "from", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyPeer"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicyPeer",
        &[
            Field { tag: 1, name: "podSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 2, name: "namespaceSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 3, name: "ipBlock", ty: Ty::Message("k8s.io.api.networking.v1.IPBlock"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicyPort",
        &[
            Field { tag: 1, name: "protocol", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "port", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 3, name: "endPort", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.networking.v1.NetworkPolicySpec",
        &[
            Field { tag: 1, name: "podSelector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 2, name: "ingress", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyIngressRule"), repeated: true },
            Field { tag: 3, name: "egress", ty: Ty::Message("k8s.io.api.networking.v1.NetworkPolicyEgressRule"), repeated: true },
            Field { tag: 4, name: "policyTypes", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.networking.v1.ServiceBackendPort",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "number", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.api.policy.v1.Eviction",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "deleteOptions", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.policy.v1.PodDisruptionBudget",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "spec", ty: Ty::Message("k8s.io.api.policy.v1.PodDisruptionBudgetSpec"), repeated: false },
            Field { tag: 3, name: "status", ty: Ty::Message("k8s.io.api.policy.v1.PodDisruptionBudgetStatus"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.policy.v1.PodDisruptionBudgetSpec",
        &[
            Field { tag: 1, name: "minAvailable", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 2, name: "selector", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: false },
            Field { tag: 3, name: "maxUnavailable", ty: Ty::Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString"), repeated: false },
            Field { tag: 4, name: "unhealthyPodEvictionPolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.policy.v1.PodDisruptionBudgetStatus",
        &[
            Field { tag: 1, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "disruptedPods", ty: Ty::Map(&Ty::String, &Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time")), repeated: false },
            Field { tag: 3, name: "disruptionsAllowed", ty: Ty::Int32, repeated: false },
            Field { tag: 4, name: "currentHealthy", ty: Ty::Int32, repeated: false },
            Field { tag: 5, name: "desiredHealthy", ty: Ty::Int32, repeated: false },
            Field { tag: 6, name: "expectedPods", ty: Ty::Int32, repeated: false },
            Field { tag: 7, name: "conditions", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Condition"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.AggregationRule",
        &[
            Field { tag: 1, name: "clusterRoleSelectors", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.ClusterRole",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "rules", ty: Ty::Message("k8s.io.api.rbac.v1.PolicyRule"), repeated: true },
            Field { tag: 3, name: "aggregationRule", ty: Ty::Message("k8s.io.api.rbac.v1.AggregationRule"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.ClusterRoleBinding",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "subjects", ty: Ty::Message("k8s.io.api.rbac.v1.Subject"), repeated: true },
            Field { tag: 3, name: "roleRef", ty: Ty::Message("k8s.io.api.rbac.v1.RoleRef"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.PolicyRule",
        &[
            Field { tag: 1, name: "verbs", ty: Ty::String, repeated: true },
            Field { tag: 2, name: "apiGroups", ty: Ty::String, repeated: true },
            Field { tag: 3, name: "resources", ty: Ty::String, repeated: true },
            Field { tag: 4, name: "resourceNames", ty: Ty::String, repeated: true },
            Field { tag: 5, name: "nonResourceURLs", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.Role",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "rules", ty: Ty::Message("k8s.io.api.rbac.v1.PolicyRule"), repeated: true },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.RoleBinding",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "subjects", ty: Ty::Message("k8s.io.api.rbac.v1.Subject"), repeated: true },
            Field { tag: 3, name: "roleRef", ty: Ty::Message("k8s.io.api.rbac.v1.RoleRef"), repeated: false },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.RoleRef",
        &[
            Field { tag: 1, name: "apiGroup", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.rbac.v1.Subject",
        &[
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "apiGroup", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "namespace", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.api.scheduling.v1.PriorityClass",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"), repeated: false },
            Field { tag: 2, name: "value", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "globalDefault", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "description", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "preemptionPolicy", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.api.resource.Quantity",
        &[
            Field { tag: 1, name: "string", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Condition",
        &[
            Field { tag: 1, name: "type", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "observedGeneration", ty: Ty::Int64, repeated: false },
            Field { tag: 4, name: "lastTransitionTime", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 5, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "message", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        &[
            Field { tag: 1, name: "gracePeriodSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "preconditions", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions"), repeated: false },
            Field { tag: 3, name: "orphanDependents", ty: Ty::Bool, repeated: false },
            Field { tag: 4, name: "propagationPolicy", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "dryRun", ty: Ty::String, repeated: true },
            Field { tag: 6, name: "ignoreStoreReadErrorWithClusterBreakingPotential", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Duration",
        &[
            Field { tag: 1, name: "duration", ty: Ty::Int64, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement",
        &[
            Field { tag: 1, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "values", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
        &[
            Field { tag: 1, name: "Raw", ty: Ty::Bytes, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector",
        &[
            Field { tag: 1, name: "matchLabels", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 2, name: "matchExpressions", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"), repeated: true },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        &[
            Field { tag: 1, name: "key", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operator", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "values", ty: Ty::String, repeated: true },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta",
        &[
            Field { tag: 1, name: "selfLink", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resourceVersion", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "continue", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "remainingItemCount", ty: Ty::Int64, repeated: false },
            Field { tag: 5, name: "shardInfo", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ShardInfo"), repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
        &[
            Field { tag: 1, name: "manager", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "operation", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "time", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 6, name: "fieldsType", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "fieldsV1", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"), repeated: false },
            Field { tag: 8, name: "subresource", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
        &[
            Field { tag: 1, name: "seconds", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "nanos", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "generateName", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "namespace", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "selfLink", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "resourceVersion", ty: Ty::String, repeated: false },
            Field { tag: 7, name: "generation", ty: Ty::Int64, repeated: false },
            Field { tag: 8, name: "creationTimestamp", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 9, name: "deletionTimestamp", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.Time"), repeated: false },
            Field { tag: 10, name: "deletionGracePeriodSeconds", ty: Ty::Int64, repeated: false },
            Field { tag: 11, name: "labels", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 12, name: "annotations", ty: Ty::Map(&Ty::String, &Ty::String), repeated: false },
            Field { tag: 13, name: "ownerReferences", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference"), repeated: true },
            Field { tag: 14, name: "finalizers", ty: Ty::String, repeated: true },
            Field { tag: 17, name: "managedFields", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"), repeated: true },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference",
        &[
            Field { tag: 5, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "controller", ty: Ty::Bool, repeated: false },
            Field { tag: 7, name: "blockOwnerDeletion", ty: Ty::Bool, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions",
        &[
            Field { tag: 1, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "resourceVersion", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.ShardInfo",
        &[
            Field { tag: 1, name: "selector", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Status",
        &[
            Field { tag: 1, name: "metadata", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta"), repeated: false },
            Field { tag: 2, name: "status", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "message", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 5, name: "details", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.StatusDetails"), repeated: false },
            Field { tag: 6, name: "code", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.StatusCause",
        &[
            Field { tag: 1, name: "reason", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "message", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "field", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.StatusDetails",
        &[
            Field { tag: 1, name: "name", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "group", ty: Ty::String, repeated: false },
            Field { tag: 3, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 6, name: "uid", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "causes", ty: Ty::Message("k8s.io.apimachinery.pkg.apis.meta.v1.StatusCause"), repeated: true },
            Field { tag: 5, name: "retryAfterSeconds", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
        &[
            Field { tag: 1, name: "seconds", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "nanos", ty: Ty::Int32, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.TypeMeta",
        &[
            Field { tag: 1, name: "kind", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "apiVersion", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.runtime.RawExtension",
        &[
            Field { tag: 1, name: "raw", ty: Ty::Bytes, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.runtime.TypeMeta",
        &[
            Field { tag: 1, name: "apiVersion", ty: Ty::String, repeated: false },
            Field { tag: 2, name: "kind", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.runtime.Unknown",
        &[
            Field { tag: 1, name: "typeMeta", ty: Ty::Message("k8s.io.apimachinery.pkg.runtime.TypeMeta"), repeated: false },
            Field { tag: 2, name: "raw", ty: Ty::Bytes, repeated: false },
            Field { tag: 3, name: "contentEncoding", ty: Ty::String, repeated: false },
            Field { tag: 4, name: "contentType", ty: Ty::String, repeated: false },
        ],
    ),
    (
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
        &[
            Field { tag: 1, name: "type", ty: Ty::Int64, repeated: false },
            Field { tag: 2, name: "intVal", ty: Ty::Int32, repeated: false },
            Field { tag: 3, name: "strVal", ty: Ty::String, repeated: false },
        ],
    ),
];
