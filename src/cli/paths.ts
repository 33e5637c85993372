import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { specPolicies, type Spec } from '../experiment/spec.js';
import { packageRoot } from '../paths.js';
import { BandwidthLog } from '../profiles/bandwidth-log.js';
import { loadLatencyModel } from '../profiles/registry.js';

/**
 * A data file named in a spec: relative paths are looked up from the working directory, then the
 * spec's folder, then the servesim installation, so shipped specs run from anywhere.
 */
export function resolveDataFile(file: string, specFile: string, field = 'file'): string {
  const candidates = isAbsolute(file) ? [file] : [resolve(file), join(dirname(resolve(specFile)), file), join(packageRoot, file)];
  const found = candidates.find(isFile);
  if (found !== undefined) return found;
  if (candidates.some((path) => existsSync(path))) throw new InputError(`${specFile}: ${field}: "${file}" is a directory, expected a file`);
  throw new InputError(`${specFile}: ${field}: no such file "${file}"`);
}

/** A policy module named in a spec: its path is relative to the spec's folder. */
export function resolveModuleFile(file: string, specFile: string): string {
  const path = isAbsolute(file) ? file : join(dirname(resolve(specFile)), file);
  if (!existsSync(path)) throw new InputError(`${specFile}: policy.module: no such file "${file}" (a module's path is relative to the spec)`);
  if (!isFile(path)) throw new InputError(`${specFile}: policy.module: "${file}" is a directory, expected a module file`);
  return path;
}

/** Whether the path is a file (or a link to one): a directory can be neither read nor imported. */
export function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** Checks every data file a spec names, so a missing one is reported with its field before the run starts. */
export function checkDataFiles(spec: Spec, specFile: string): void {
  if (spec.workload.trace) resolveDataFile(spec.workload.trace.file, specFile, 'workload.trace.file');
  spec.deployments.forEach((d, i) => {
    if (d.profile === undefined) return;
    const file = d.profile.file === undefined ? undefined : resolveDataFile(d.profile.file, specFile, `deployments[${i}].profile.file`);
    try {
      loadLatencyModel({ ...d.profile, file }, (f) => f);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`${specFile}: deployments[${i}].profile: ${error.message}`);
      throw error;
    }
  });
  if (spec.network?.upload) {
    const log = resolveDataFile(spec.network.upload.bandwidthLog, specFile, 'network.upload.bandwidthLog');
    try {
      new BandwidthLog(log);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`${specFile}: network.upload.bandwidthLog: ${error.message}`);
      throw error;
    }
  }
  for (const policy of specPolicies(spec)) if (policy.name === 'module') resolveModuleFile(policy.module, specFile);
}
