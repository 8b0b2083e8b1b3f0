/**
 * A rollout run's watches: the bake clock, the approval and freeze gates, and the waits for
 * confirmations, each probing health every interval while it waits. The arithmetic of every timer
 * is domain/'s (bake.ts, freeze-holds.ts, confirmation.ts); this layer sleeps and wakes.
 */
import { CancelledFailure, condition, patched } from '@temporalio/workflow';
import type { UnconfirmedResult } from '../activities';
import {
  bakeClockRuns,
  bakeEndsNow,
  bakeLeftAfterTurn,
  bakeOvertime,
  newVersionLive,
  probeIntervalMs,
  probeWaitMs,
  watchStep,
  watchWait,
  type WatchKind,
} from '../domain/bake';
import {
  CONFIRM_WITHIN_MS,
  confirmationFields,
  confirmationStep,
  stageUnconfirmed,
  waveUnconfirmed,
  type RegressionFinding,
} from '../domain/confirmation';
import { freezeGateStep, freezeRecheckMs } from '../domain/freeze-holds';
import { frozenEvent, unfrozenMessage } from '../domain/rollout-events';
import { bookkeeping } from './activity-proxies';
import { Patch } from './patches';
import { ProbingRun } from './rollout-probes';

/** The run's record, probes and watches: every wait of a rollout, probing while it waits. */
export abstract class WatchingRun extends ProbingRun {
  /**
   * Probes the targets on the new version every interval while the rollout bakes, waits for an
   * approval, or is held: health is watched wherever the new version is live. Returns when the
   * bake time has run (counting only time spent running), the gate is approved, or the hold ends.
   */
  protected async monitor(kind: WatchKind): Promise<void> {
    const { position, judgement } = this;
    const intervalMs = probeIntervalMs(this.summary.health);
    let probed = false;
    for (;;) {
      const step = watchStep({
        kind,
        running: this.summary.state === 'running',
        awaitingApproval: judgement.awaitingApproval,
        bakeRemainingMs: position.bakeRemainingMs,
        probed,
      });
      if (step === 'over') return;
      if (step === 'judge') {
        // Runs without `analysis` (every run from before it) take the branch they always took.
        if (this.analyzed()) {
          if (await this.concludeAnalysis()) return;
        } else if (bakeEndsNow(judgement, () => patched(Patch.bakeEndsSettled))) return;
      }

      const started = Date.now();
      const live = newVersionLive(position.appliedUpTo);
      this.nudged = false;
      if (live) await this.probeOnce();
      // A regression found by this probe cancelled the run; without a wait left to observe that
      // cancellation, the bake would end and the next stage (or completion) would be recorded.
      if (this.rollbackRequest && patched(Patch.stopAtRegression)) throw new CancelledFailure('rollback requested');
      const probeMs = Date.now() - started;
      probed = true;
      const baking = bakeClockRuns(kind, this.summary.state === 'running');
      const overtime = bakeOvertime({ baking, bakeRemainingMs: position.bakeRemainingMs, analyzed: this.analyzed(), runs: judgement }, () =>
        patched(Patch.bakeEndsSettled),
      );
      const wait = watchWait({
        live,
        baking,
        overtime,
        intervalMs,
        elapsedMs: Date.now() - started,
        bakeRemainingMs: position.bakeRemainingMs,
      });
      if (wait.kind === 'until_nudged') await condition(() => this.nudged);
      else if (wait.kind === 'timer') await condition(() => this.nudged, wait.ms);
      position.bakeRemainingMs = bakeLeftAfterTurn(
        {
          bakeRemainingMs: position.bakeRemainingMs,
          baking,
          runningNow: this.summary.state === 'running',
          elapsedMs: Date.now() - started,
          probeMs,
          intervalMs,
          probeTimeoutMs: this.summary.health.timeoutMs,
        },
        () => patched(Patch.bakeCountsObservedTime),
      );
      await this.continueAsNewIfLong();
    }
  }

  /**
   * Holds before the next stage while a freeze holds the key: a freeze window of the policy the
   * rollout started under, or stop-the-line. Health is still probed every interval and a
   * regression still rolls back: a freeze stops forward motion, never safety. Checked again every
   * interval and when a window ends; goes on by itself when it lifts, unless a human paused it.
   */
  protected async freezeGate(): Promise<void> {
    const { position, judgement } = this;
    const stage = this.stageName;
    const intervalMs = probeIntervalMs(this.summary.health);
    for (;;) {
      const started = Date.now();
      const check = await bookkeeping.checkFreeze({ configKey: this.summary.configKey, windows: this.input?.policy?.freeze ?? [] });
      const step = freezeGateStep(check.holds, {
        overridden: judgement.overriddenFreezes ?? [],
        announced: judgement.freezeHolds ?? [],
        state: this.summary.state,
        reason: this.summary.reason,
      });
      if (step.kind === 'clear') return;
      if (step.kind === 'lifted') {
        judgement.freezeHolds = [];
        if (step.announce) this.emit('unfrozen', unfrozenMessage(stage), {}, stage);
        if (step.resumes) this.setState('running', null);
        await this.commit();
        return;
      }
      if (step.announce) {
        judgement.freezeHolds = step.holds;
        const event = frozenEvent(stage, step.holds);
        this.emit('frozen', event.message, event.detail, stage);
        if (step.pauses) this.setState('paused', event.reason);
        await this.commit();
      }
      this.nudged = false;
      if (newVersionLive(position.appliedUpTo)) await this.probeOnce();
      this.throwIfRollbackRequested();
      const wait = freezeRecheckMs({ nowMs: Date.now(), turnStartedMs: started, intervalMs, nextChangeAt: check.nextChangeAt });
      await condition(() => this.nudged, wait);
      await this.continueAsNewIfLong();
    }
  }

  /**
   * Before the first stage of a wave: every target of the earlier waves runs the new version (it
   * confirmed it) and has baked. Health is probed meanwhile. A target that has not confirmed within
   * CONFIRM_WITHIN_MS is a regression, as in a bake: rolled back, or held for a human who decides.
   */
  protected async waveGate(upto: number, wave: string): Promise<void> {
    await this.awaitConfirmation(upto, CONFIRM_WITHIN_MS, (left) => waveUnconfirmed(left, wave, this.summary.version));
  }

  /**
   * Under a policy that requires confirmation (`confirmWithinSeconds`): the stage counts as applied
   * once every target it assigned confirms the new version; one still unconfirmed when the wait
   * runs out is a regression (rolled back, or held for a human, by the rollout's onRegression).
   */
  protected async stageConfirmation(upto: number, stage: string, withinMs: number): Promise<void> {
    await this.awaitConfirmation(upto, withinMs, (left) => stageUnconfirmed(left, upto, stage, this.summary.version, withinMs));
  }

  /**
   * Waits, probing health every interval, until every target of plan entries [0, upto) confirms the
   * new version, or `withinMs` has passed: then what is left is a regression.
   */
  protected async awaitConfirmation(
    upto: number,
    withinMs: number,
    overdue: (left: UnconfirmedResult) => RegressionFinding,
  ): Promise<void> {
    const began = Date.now();
    const intervalMs = probeIntervalMs(this.summary.health);
    for (;;) {
      const started = Date.now();
      const left = await bookkeeping.unconfirmedTargets({
        rolloutId: this.summary.id,
        configKey: this.summary.configKey,
        version: this.summary.version!,
        upto,
      });
      Object.assign(this.summary, confirmationFields({ assigned: upto, confirmed: upto - left.count }));
      const step = confirmationStep(left.count, Date.now(), began, withinMs);
      if (step === 'confirmed') return;
      if (step === 'overdue') {
        const { message, evidence } = overdue(left);
        await this.regression(message, evidence);
        this.throwIfRollbackRequested();
        return;
      }
      this.nudged = false;
      await this.probeOnce();
      this.throwIfRollbackRequested();
      const wait = probeWaitMs({ intervalMs, elapsedMs: Date.now() - started, bakeRemainingMs: null });
      if (wait > 0) await condition(() => this.nudged, wait);
    }
  }
}
