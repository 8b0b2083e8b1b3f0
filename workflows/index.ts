/** The workflows this worker registers. */
export { rolloutWorkflow, fastRollbackWorkflow } from './rollout';
export { notificationWorkflow } from './notify';
