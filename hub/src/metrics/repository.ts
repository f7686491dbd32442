import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
import type { CheckinRow, HubRepository } from '../storage/repository.js';

/** What the timed repository reports to (metrics/index.ts). */
export interface RepositoryMeters {
  duration: Histogram<'op'>;
  errors: Counter<'op'>;
  /** What the database took, read from the answers of addCheckins and deadLetter. */
  stored(rows: ReadonlyArray<CheckinRow>, fresh: ReadonlySet<string>): void;
  deadLettered(): void;
}

/**
 * The repository, every method timed (`op` = the method's name: a fixed set, ~50 series). A Proxy
 * rather than a hand-written wrapper, so a method another branch adds to HubRepository is timed too.
 * Methods run on the real object (`this` = target), as the resilience tests' fault wrapper does.
 * Check-ins counted here are the ones the database really stored — after the retry, the batching
 * and the duplicate check — whatever path brought them (live, a lane being retired, a replay).
 */
export function timedRepository(repo: HubRepository, meters: RepositoryMeters): HubRepository {
  return timed(repo, meters, '');
}

/** The repository's sub-records (objects of their own: `repo.alerts`, …) are timed too, as `<group>.<method>`. */
const GROUPS = new Set(['alerts', 'enrolments', 'fleet', 'links', 'releases', 'snapshots']);

function timed<T extends object>(repo: T, meters: RepositoryMeters, prefix: string): T {
  return new Proxy(repo, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (prefix === '' && typeof name === 'string' && GROUPS.has(name) && value && typeof value === 'object')
        return timed(value as object, meters, `${name}.`);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      const key = prefix + name;
      return (...args: unknown[]) => {
        const began = performance.now();
        const took = () => meters.duration.observe({ op: key }, (performance.now() - began) / 1000);
        const failed = (err: unknown) => {
          took();
          meters.errors.inc({ op: key });
          throw err;
        };
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (err) {
          return failed(err);
        }
        if (!(result instanceof Promise)) {
          took();
          return result;
        }
        return result.then((answer: unknown) => {
          took();
          if (key === 'addCheckins')
            meters.stored(args[0] as ReadonlyArray<CheckinRow>, answer as ReadonlySet<string>);
          else if (key === 'deadLetter') meters.deadLettered();
          return answer;
        }, failed);
      };
    },
  });
}
