#!/bin/sh
# Stands in for `docker build`: packs the context into $FANOUT_OUT/<name>.tar, slowly.
set -eu
name=$1; shift
echo "building image $name from $*"
sleep 1
tar -cf "$FANOUT_OUT/$name.tar" "$@"
if [ -d "$FANOUT_DEPS" ]; then ls "$FANOUT_DEPS"; fi
echo "image $name: $(sha256sum "$FANOUT_OUT/$name.tar" | cut -c1-12)"
