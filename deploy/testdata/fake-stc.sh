#!/bin/sh
# A fake bin/switch-to-configuration for the deploy tests: it logs its call to
# @ctl@/calls as "PORT switch-to-configuration ACTION" and succeeds.
port=${SSH_CONNECTION##* }
echo "$port switch-to-configuration $*" >> "@ctl@/calls"
