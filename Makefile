# servesim: `make demo` runs the main job from a fresh clone, `make test` runs the tests.
# Both install what is missing (npm ci) and build first. Commands write into runs/ (git-ignored);
# the committed reference results in results/ change only through `make results`.

NPM ?= npm
STAMP := node_modules/.package-lock.json
SERVESIM := node bin/servesim.js

.PHONY: demo test build bench schema results validation web web-build clean

$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

build: $(STAMP)
	$(NPM) run --silent build

demo: build
	$(SERVESIM) reproduce infadapter --quick --out runs/demo

test: build
	$(NPM) run --silent typecheck
	$(SERVESIM) schema | cmp -s - experiments/schema.json || { echo "experiments/schema.json is stale: run 'make schema'"; exit 1; }
	$(SERVESIM) schema sweep | cmp -s - experiments/sweep.schema.json || { echo "experiments/sweep.schema.json is stale: run 'make schema'"; exit 1; }
	npx vitest run

bench: build
	node bench/bench.mjs

schema: build
	$(SERVESIM) schema > experiments/schema.json
	$(SERVESIM) schema sweep > experiments/sweep.schema.json

# Every committed simulated result, regenerated from the code (about 12 minutes on 2 cores); the
# golden test in `make test` checks that the code still produces them.
results: build
	$(SERVESIM) train-predictors --score-only --quiet --out profiles/predictors
	$(SERVESIM) calibrate infadapter --quiet --out results/calibration --write-profile profiles/infadapter/calibrated_service_times.csv
	$(SERVESIM) reproduce infadapter --quiet --out results/paper/infadapter
	$(SERVESIM) reproduce ipa --quiet --out results/paper/ipa
	$(SERVESIM) reproduce sponge --quiet --out results/paper/sponge
	$(SERVESIM) reproduce biathlon --quiet --out results/paper/biathlon
	$(SERVESIM) reproduce biathlon --quick --quiet --out results/paper/biathlon/quick
	for spec in hpa-twitter-2h vpa-twitter-2h; do \
	  $(SERVESIM) run experiments/policies/$$spec.json --quiet --out results/policies/$$spec && $(SERVESIM) plot results/policies/$$spec > /dev/null || exit 1; \
	done

# Measurements on this machine's real model servers (about 15 minutes); not reproducible bit for
# bit, so not checked by the golden test.
validation: build
	$(SERVESIM) validate --out results/validation

# The playground: the simulator in the browser (web/), built into web/dist/ and served on
# 127.0.0.1 (PORT, default 8080) until Ctrl-C.
PORT ?= 8080

web-build: $(STAMP)
	node scripts/build-web.mjs

web: web-build
	PORT=$(PORT) node scripts/serve-web.mjs web/dist

clean:
	rm -rf dist runs web/dist
