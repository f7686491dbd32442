export { AlertEngine, type TickResult } from './engine.js';
export {
  type Condition,
  evaluate,
  type FleetSnapshot,
  isWorkingDay,
  RULES,
  type RuleId,
  SEVERITY,
  type Severity,
  type Thresholds,
} from './rules.js';
export { type AlertParts, alertParts } from './setup.js';
