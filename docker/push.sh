#!/usr/bin/env bash
# `make push`: push IMAGE to REGISTRY/REPO under a tag never used before and print its digest,
# the reference job definitions run (`register --image`, the stack's ImageDigestXY parameter).
# Tags in the stack's repository are immutable, so every push needs a new one; a tag is only a
# label, the digest names the image. For an ECR registry only: create the repository when
# missing (deploy the stack first and it already exists) and log in with the aws CLI.
set -euo pipefail
: "${CONTAINER_ENGINE:?}" "${IMAGE:?}" "${REGISTRY:?}" "${REPO:?}" "${TAG:?}" "${BLENDER:?}"
cd "$(dirname "$0")/.."
if [ "$CONTAINER_ENGINE" = podman ]; then
    CONTAINERS_CONF=${CONTAINERS_CONF:-$(docker/podman-conf.sh)}
    export CONTAINERS_CONF
fi
engine=$CONTAINER_ENGINE
target=$REGISTRY/$REPO:$TAG

case $REGISTRY in
*.dkr.ecr.*.amazonaws.com | *.dkr.ecr.*.amazonaws.com.cn)
    case $REGISTRY in .*) echo "error: no AWS account: configure AWS credentials" \
        "(aws sts get-caller-identity failed) or pass ACCOUNT=123456789012" >&2; exit 1 ;; esac
    region=${REGION:?}
    aws ecr describe-repositories --region "$region" --repository-names "$REPO" >/dev/null 2>&1 ||
        aws ecr create-repository --region "$region" --repository-name "$REPO" \
            --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true >/dev/null
    aws ecr get-login-password --region "$region" |
        "$engine" login --username AWS --password-stdin "$REGISTRY"
    ;;
*) echo "== $REGISTRY is not an ECR registry: no ECR login, no repository created" ;;
esac

echo "== pushing $IMAGE as $target"
"$engine" tag "$IMAGE" "$target"
if [ "$engine" = podman ]; then
    digest_file=$(mktemp)
    trap 'rm -f "$digest_file"' EXIT
    podman push --digestfile "$digest_file" "$target"
    digest=$(cat "$digest_file")
else
    "$engine" push "$target"
    # After a push the engine knows the image's digest in that repository.
    digest=$("$engine" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$target" |
        sed -n "s|^$REGISTRY/$REPO@||p" | head -n 1)
fi
case $digest in
sha256:*) ;;
*) echo "error: $engine pushed $target but reported no digest ('$digest')" >&2; exit 1 ;;
esac
echo "== pushed $target"
echo "image: $REGISTRY/$REPO@$digest"
echo "   Blender $BLENDER (tag $TAG)"
echo "   register it:  blendbatch register --blender $BLENDER --image $REGISTRY/$REPO@$digest"
echo "   or the stack: make deploy DEPLOY_ARGS=\"-p ImageDigest${BLENDER//./}=$digest\""
