# servesim: `make demo` runs the main job from a fresh clone, `make test` runs the tests.
# Both install what is missing (npm ci) and build first.

NPM ?= npm
STAMP := node_modules/.package-lock.json

.PHONY: demo test build bench schema clean

$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

build: $(STAMP)
	$(NPM) run --silent build

demo: build
	node bin/servesim.js reproduce infadapter --quick --out results/demo

test: build
	$(NPM) run --silent typecheck
	node bin/servesim.js schema | cmp -s - experiments/schema.json || { echo "experiments/schema.json is stale: run 'make schema'"; exit 1; }
	npx vitest run

bench: build
	node bench/mmc.mjs

schema: build
	node bin/servesim.js schema > experiments/schema.json

clean:
	rm -rf dist results/demo
