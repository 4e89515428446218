#!/bin/sh
# The Temporal namespace of the service, with its retention (how long closed workflow histories are
# kept; export what must outlive it with `dwatch history export`). Creates the namespace, or sets
# the retention of an existing one, so changing TEMPORAL_RETENTION and re-running `up` applies it.
# Search attributes are registered by `dwatch worker` itself.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
: "${NAMESPACE:?NAMESPACE is required}"
: "${RETENTION:?RETENTION is required}"

attempt=1
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  if [ "${attempt}" -ge 60 ]; then
    echo "Temporal at ${TEMPORAL_ADDRESS} is not healthy after ${attempt} attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "${NAMESPACE}" --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; then
  temporal operator namespace update --namespace "${NAMESPACE}" --retention "${RETENTION}" --address "${TEMPORAL_ADDRESS}"
  echo "Namespace ${NAMESPACE}: retention ${RETENTION}"
else
  temporal operator namespace create --namespace "${NAMESPACE}" --retention "${RETENTION}" --address "${TEMPORAL_ADDRESS}"
  echo "Namespace ${NAMESPACE} created, retention ${RETENTION}"
fi
