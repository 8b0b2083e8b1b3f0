/** The workflows this worker registers. */
export { rolloutWorkflow, fastRollbackWorkflow } from './rollout';
