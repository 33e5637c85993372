import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../errors.js';
import { checkOutputFile, checkOutputFolder } from '../io/result-folder.js';
import { DEFAULT_MAX_TRACE_EVENTS, DEFAULT_TRACE_SECONDS } from '../report/trace-events.js';
import { DEFAULT_MAX_FAILED_SHARE } from '../testbed/failure-threshold.js';
import { DEFAULT_MAX_SERVERS } from '../testbed/server-slots.js';
import { EXIT_TOO_MANY_FAILED, EXIT_WRONG_ANSWERS } from './exit-codes.js';
import { addReproduceCommand } from './reproduce-command.js';

/**
 * A command's action, loaded when the command runs: start-up reads only the modules of the one
 * command used (the simulator, the testbed, the reports and the solvers are separate chunks).
 */
function lazy<M>(load: () => Promise<M>, name: keyof M) {
  return async (...args: unknown[]): Promise<void> => {
    await ((await load())[name] as (...a: unknown[]) => unknown)(...args);
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];
// -o/--out is checked as it is parsed, so an existing file or a folder that cannot be made is bad input before any work.
const outFolder = (value: string) => checkOutputFolder(value, '--out');
const outFile = (value: string) => checkOutputFile(value, '--out');

const program = new Command('servesim')
  .description('Discrete-event simulator and research testbed for ML inference serving')
  .version('0.1.0')
  .option('--debug', 'print stack traces of errors')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.split('\n')[0] + '\n') });

program
  .command('run')
  .description('simulate one experiment spec; writes summary.json and timeseries.csv (and requests.csv)')
  .argument('<spec>', 'experiment spec (JSON); see experiments/schema.json')
  .option('--seed <n>', 'run seed, overriding the spec\'s')
  .option('-o, --out <dir>', 'output folder (default: runs/<spec name>)', outFolder)
  .addOption(new Option('--set <path=value>', 'override a spec field, e.g. deployments.0.replicas=8 (repeatable)').argParser(collect).default([]))
  .option('--requests', 'also write requests.csv, one row per request')
  .option('--trace-events <file>', 'also write a Chrome Trace Event file of the run (pods, batches, queue and replica counters, decisions) to open in https://ui.perfetto.dev or chrome://tracing', (value: string) => checkOutputFile(value, '--trace-events'))
  .option('--trace-from <s>', 'simulated second the trace starts at (default: 0)')
  .option('--trace-to <s>', `simulated second the trace ends at (default: --trace-from + ${DEFAULT_TRACE_SECONDS})`)
  .option('--trace-max-events <n>', `events the trace holds before it stops, noting where (default: ${DEFAULT_MAX_TRACE_EVENTS})`)
  .option('-q, --quiet', 'print nothing on success and show no progress bar')
  .addHelpText('after', '\nExample: servesim run experiments/policies/hpa-twitter-2h.json --trace-events runs/hpa.trace.json --trace-from 600 --trace-to 900\n\nExit status: 0 success, 2 bad input (spec, trace or flag), 1 internal error.')
  .action(lazy(() => import('./run-command.js'), 'runCommand'));

program
  .command('compare')
  .description('run several specs on the same seeds and print a comparison table; writes DIR/comparison.csv and DIR/<spec>/; with --seeds, paired differences with 95% intervals in DIR/pairs.csv')
  .argument('<specs...>', 'experiment specs (JSON)')
  .option('--seed <n>', 'run seed for every spec, overriding theirs (with --seeds: the first seed, default 1)')
  .option('--seeds <k>', 'run every spec on K seeds, the same for all (common random numbers), and compare them pair by pair')
  .option('-j, --workers <n>', 'runs at once, on worker threads (default: the machine\'s cores)')
  .option('-o, --out <dir>', 'output folder', outFolder, 'runs/compare')
  .addOption(new Option('--set <path=value>', 'override a field in every spec (repeatable)').argParser(collect).default([]))
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', '\nExample: servesim compare a.json b.json --seeds 10 --out runs/ab\n\nExit status: 0 success, 2 bad input (spec, trace or flag), 1 internal error.')
  .action(lazy(() => import('./compare-command.js'), 'compareCommand'));

program
  .command('sweep')
  .description('run every point of a grid over a base spec, once per seed, on worker threads; writes DIR/runs.csv (one row per run), DIR/pairs.csv and DIR/runs/<run>/')
  .argument('<sweep>', 'sweep file (JSON): {"base": "spec.json", "grid": {"deployments.0.replicas": [3, 4, 5]}, "seeds": [1, 2]}')
  .requiredOption('-o, --out <dir>', 'output folder (new or empty, or the same sweep with --resume)', outFolder)
  .option('-j, --workers <n>', 'runs at once, on worker threads (default: the machine\'s cores)')
  .option('--shard <i/N>', 'run only shard i of N (0 ≤ i < N), e.g. a Kubernetes Indexed Job\'s JOB_COMPLETION_INDEX; merge the shards with sweep-merge')
  .option('--resume', 'finish a sweep that stopped: keep the runs already complete (a folder with summary.json), run the rest')
  .option('-q, --quiet', 'print nothing on success and show no progress bar')
  .addHelpText('after', '\nThe results do not depend on the worker count, the shards or a resume: runs.csv is byte-identical.\nExit status: 0 success, 2 bad input (sweep, spec, trace or flag), 1 internal error.')
  .action(lazy(() => import('./sweep-command.js'), 'sweepCommand'));

program
  .command('sweep-merge')
  .description('merge the folders of a sweep\'s shards into one, with the runs.csv and pairs.csv of the unsharded sweep')
  .argument('<dirs...>', 'shard folders written by servesim sweep --shard')
  .requiredOption('-o, --out <dir>', 'output folder', outFolder)
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', '\nExit status: 0 success, 2 bad input (a folder that is not a shard of the same sweep, or a missing run), 1 internal error.')
  .action(lazy(() => import('./sweep-command.js'), 'sweepMergeCommand'));

program
  .command('capacity')
  .description('find by simulation the highest Poisson rate one pod serves with its P99 latency within an SLO')
  .requiredOption('--profile <name|file>', 'a named profile (infadapter, ipa-fig2, sponge) or a profile CSV')
  .requiredOption('--variant <name>', 'the variant as the profile names it, e.g. resnet50')
  .requiredOption('--cores <n>', 'cores of the pod')
  .requiredOption('--slo-p99 <seconds>', 'P99 latency bound, seconds')
  .option('--device <name>', 'device as the profile names it', 'cpu')
  .option('--method <probe|steady>', "probe: InfAdapter's 16 s probes and 2 s P99 windows; steady: long-run P99", 'probe')
  .option('--seed <n>', 'random seed', '1')
  .option('--json', 'print only {"capacityRps": …}')
  .addHelpText('after', '\nExample: servesim capacity --profile infadapter --variant resnet50 --cores 4 --slo-p99 0.75')
  .action(lazy(() => import('./capacity-command.js'), 'capacityCommand'));

program
  .command('calibrate')
  .description('calibrate service times against measured capacities and write the comparison (target: infadapter)')
  .argument('<target>', 'what to calibrate: infadapter')
  .option('-o, --out <dir>', 'output folder', outFolder, 'runs/calibration')
  .option('--seed <n>', 'random seed', '1')
  .option('--variants <list>', 'fit only these variants, e.g. resnet18,resnet50 (default: all five)')
  .option('--cores <list>', 'fit only these core counts, e.g. 1,4,16 (default: 1–20)')
  .option('--write-profile <file>', 'where to write the calibrated profile (default: in the output folder)')
  .option('-q, --quiet', 'print nothing on success')
  .action(lazy(() => import('./calibrate-command.js'), 'calibrateCommand'));

program
  .command('plot')
  .description('draw a run\'s timeseries.csv (load, replicas and cores, P99, SLO violations) as PNG and SVG')
  .argument('<dir>', 'a folder written by servesim run')
  .action(lazy(() => import('./plot-command.js'), 'plotCommand'));

addReproduceCommand(program);

program
  .command('approx')
  .description("Biathlon on your own data: serve each request exactly and approximately from a CSV table and a model module; writes DIR/approx.csv")
  .requiredOption('--table <file>', 'the rows queries aggregate over (CSV with a header)')
  .requiredOption('--key <column>', "the column a request's rows are selected by")
  .requiredOption('--queries <list>', 'aggregation queries: "column:op,op;column:op", ops of count, sum, avg, var, std, median, min, max, count-distinct')
  .requiredOption('--requests <file>', 'one request per row: the key, then its fixed features (CSV with a header)')
  .requiredOption('--model <file>', 'an ES module exporting `task` ("regression" or "classification") and `predict(rows)`: rows are [fixed features…, aggregate features in query order]')
  .option('--tau <p>', 'required confidence τ', '0.95')
  .option('--delta <x>', 'allowed output error δ (0 for classifiers: the same class)', '0')
  .option('-o, --out <dir>', 'output folder', outFolder, 'runs/approx')
  .option('--seed <n>', 'seed of the partitioning and bootstrap', '1')
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', '\nExit status: 0 success, 2 bad input (file, column or flag), 1 internal error.')
  .action(lazy(() => import('./approx-command.js'), 'approxCommand'));

program
  .command('train-predictors')
  .description("train InfAdapter's and IPA's LSTM load predictors on the Twitter trace (needs the dev dependency @tensorflow/tfjs)")
  .option('-o, --out <dir>', 'where the weight files go (the shipped ones are profiles/predictors/)', outFolder, 'runs/predictors')
  .option('--epochs <n>', 'training epochs (default: the papers\' 30)')
  .option('--score-only', 'do not train: score the shipped weights (profiles/predictors/) on the test days and write them with their scores')
  .option('--seed <n>', 'random seed', '1')
  .option('-q, --quiet', 'print nothing on success')
  .action(lazy(() => import('./train-command.js'), 'trainPredictorsCommand'));

program
  .command('build-models')
  .description('write ONNX model variants of increasing cost (ResNet-style CNNs, deterministic random weights) for the testbed')
  .option('-o, --out <dir>', 'output folder', outFolder, 'models')
  .option('--variants <list>', `comma-separated, of ${['cnn-xs', 'cnn-s', 'cnn-m', 'cnn-l', 'cnn-tiny'].join(', ')} (default: all but cnn-tiny)`)
  .option('-q, --quiet', 'print nothing on success')
  .action(lazy(() => import('./testbed-commands.js'), 'buildModelsCommand'));

program
  .command('profile')
  .description('measure real inference latency per (variant, cores, batch) on this machine with onnxruntime-node; writes a profile CSV')
  .option('--models <dir>', 'where build-models wrote the variants', 'models')
  .option('--variants <list>', 'comma-separated variant names (default: cnn-xs,cnn-s,cnn-m,cnn-l)')
  .option('--batches <list>', 'batch sizes', '1,2,4,8')
  .option('--cores <list>', 'intra-op threads (cores)', '1,2')
  .option('--runs <n>', 'timed runs per point', '30')
  .option('-o, --out <file>', 'profile CSV to write', outFile, 'runs/profile.csv')
  .option('--capacity-slo-ms <list>', 'P99 SLOs (ms) at which it also writes capacity data beside the profile (<out>.capacity.csv), for InfAdapter and MS+', '100')
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', '\nUse the profile in a spec: "profile": { "file": "runs/profile.csv", "variant": "cnn-m" }')
  .action(lazy(() => import('./testbed-commands.js'), 'profileCommand'));

program
  .command('validate')
  .description(
    'run configurations for real (model servers and load generator on 127.0.0.1) and in the simulator calibrated around them, modelling this machine\'s shared cores: steady state, overload, batching, two variants, autoscaling repeated over 3 seeds, and a ranked set of policies on one burst; writes validation.csv, ranking.csv, agreement.csv, spread.csv, runs.csv and two charts',
  )
  .option('--quick', 'two 6 s steady configurations and three 16 s burst runs, ranked (under two minutes)')
  .option('--models <dir>', 'where the ONNX variants are (built if missing)', 'models')
  .option('-o, --out <dir>', 'output folder', outFolder, 'runs/validation')
  .option('--seed <n>', 'seed of the arrival times', '1')
  .option('--max-failed-share <fraction>', 'share of a real part\'s requests that may fail before validate exits non-zero', String(DEFAULT_MAX_FAILED_SHARE))
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', `\nExit status: 0 success, 2 bad input (flag or model file), ${EXIT_TOO_MANY_FAILED} more than --max-failed-share of a real part's requests failed (results still written), 1 internal error.`)
  .action(lazy(() => import('./testbed-commands.js'), 'validateCommand'));

program
  .command('testbed')
  .description('run on real model servers on 127.0.0.1 (subcommand: run)')
  .command('run')
  .description('run a spec on real model servers, one process per replica; writes summary.json and timeseries.csv like `servesim run` (one deployment, or a chain of pipeline stages of variant deployments, each profile variant a testbed model; any policy)')
  .argument('<spec>', 'experiment spec (JSON)')
  .option('-o, --out <dir>', 'output folder (default: runs/testbed/<spec name>)', outFolder)
  .option('--models <dir>', 'where the ONNX variants are (built if missing)', 'models')
  .option('--seed <n>', "run seed, overriding the spec's")
  .addOption(new Option('--set <path=value>', 'override a spec field (repeatable)').argParser(collect).default([]))
  .option('--max-failed-share <fraction>', 'share of requests that may fail (dropped) before the run exits non-zero (k6\'s http_req_failed rate<0.01)', String(DEFAULT_MAX_FAILED_SHARE))
  .option('--max-servers <n>', 'server processes the run may have at once (replicas past it are refused, pods past it wait)', String(DEFAULT_MAX_SERVERS))
  .option('-q, --quiet', 'print nothing on success')
  .addHelpText('after', `\nExit status: 0 success, 2 bad input (spec, model file or flag), ${EXIT_TOO_MANY_FAILED} more than --max-failed-share of the requests failed (results still written), 1 internal error.`)
  .action(lazy(() => import('./testbed-commands.js'), 'testbedRunCommand'));

const lab = program.command('lab').description('course labs (labs/): list them, run one, check a student\'s answers against its key');
lab.command('list').description('every lab with its folder and specs').action(lazy(() => import('./lab-command.js'), 'labListCommand'));
lab
  .command('run')
  .description('run every spec of lab N into DIR/<spec name>/ and draw each run\'s timeseries (the figures the handout asks about)')
  .argument('<n>', 'lab number (servesim lab list)')
  .option('-o, --out <dir>', 'output folder (default: runs/lab-<n>)', outFolder)
  .option('-j, --workers <n>', 'runs at once, on worker threads (default: the machine\'s cores)')
  .option('-q, --quiet', 'print nothing on success')
  .action(lazy(() => import('./lab-command.js'), 'labRunCommand'));
lab
  .command('check')
  .description('compare a student\'s answers ({"<question id>": number, ...}) with lab N\'s key, question by question')
  .argument('<n>', 'lab number')
  .argument('<answers>', 'answers file (JSON)')
  .addHelpText('after', `\nExit status: 0 every answer within its tolerance, ${EXIT_WRONG_ANSWERS} an answer missing or outside it, 2 bad input (lab number, answers file), 1 internal error.`)
  .action(lazy(() => import('./lab-command.js'), 'labCheckCommand'));

program
  .command('schema')
  .description('print the JSON Schema of experiment specs (experiments/schema.json), or of sweep files (experiments/sweep.schema.json)')
  .argument('[kind]', 'spec or sweep', 'spec')
  .action(lazy(() => import('./schema-command.js'), 'schemaCommand'));

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = exitCodeOf(error, program.opts().debug === true);
}

function exitCodeOf(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its one-line message (or the help text).
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  if (error instanceof InputError) {
    process.stderr.write(`servesim: ${error.message}\n`);
    if (debug) process.stderr.write(`${error.stack}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`servesim: internal error: ${message}${debug ? '' : ' (--debug shows the stack trace)'}\n`);
  if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
