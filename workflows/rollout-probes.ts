/**
 * A rollout run's probes: one interval of health (thresholds, or the fleet's baseline) or of canary
 * analysis, and the holds the evidence leads to. The verdicts are domain/'s (health.ts, judge.ts,
 * stage-analysis.ts); this layer runs the activities and carries out what they decide.
 */
import { patched } from '@temporalio/workflow';
import { canaryRunFor } from '../domain/analysis';
import { CONFIRM_WITHIN_MS } from '../domain/confirmation';
import { INITIAL_STAGE_STATE, nextStageVerdict } from '../domain/judge';
import {
  fleetInconclusive,
  healthRegression,
  nextHealth,
  nextInconclusive,
  sampleOutlived,
  warnsUnmonitored,
  type IntervalAssessment,
  type ProbeSummary,
} from '../domain/health';
import { holdStarts } from '../domain/rollback-plan';
import {
  analysisEvent,
  analysisHeldMessage,
  FLEET_INCONCLUSIVE_HELD_MESSAGE,
  inconclusiveReason,
  UNMONITORED_MESSAGE,
} from '../domain/rollout-events';
import { analysisJudges, intervalResponse, stageConclusion } from '../domain/stage-analysis';
import { probing } from './activity-proxies';
import { Patch } from './patches';
import { RunRecord } from './rollout-record';

/** The run's record and its probes: one interval of evidence, and what it leads to. */
export abstract class ProbingRun extends RunRecord {
  /* ---------- health ---------- */

  protected async probeOnce(): Promise<void> {
    if (this.analyzed()) return this.analyzeOnce();
    const stage = this.summary.currentStage ?? 'unknown';
    const resumesBefore = this.resumes;
    const sample: ProbeSummary = await probing.probeTargets({
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version!,
      stage,
      upto: this.position.appliedUpTo,
      timeoutMs: this.summary.health.timeoutMs,
      ...(this.summary.health.compareToBaseline ? { baseline: true } : {}),
      confirmWithinMs: CONFIRM_WITHIN_MS,
    });
    if (sampleOutlived(resumesBefore, this.resumes, () => patched(Patch.sampleAcrossResume))) return;
    this.judgement.pending = sample.pending ?? 0;
    const verdict = nextHealth(this.judgement.streak, sample, this.summary.health);
    this.judgement.streak = verdict.streak;
    if (this.summary.health.compareToBaseline) await this.inconclusive(verdict.assessment, sample);
    if (warnsUnmonitored(verdict.assessment, this.warnedUnmonitored)) {
      this.warnedUnmonitored = true;
      this.emit('health_unmonitored', UNMONITORED_MESSAGE, { unobserved: sample.unobserved }, stage);
      await this.commit();
    }
    if (verdict.regressed) {
      const { message, evidence } = healthRegression(verdict, sample);
      await this.regression(message, evidence);
    }
  }

  /**
   * The new version fails, but so does the fleet without it: rolling back would not help, and
   * going on would not be safe. Held for a human, whatever the regression policy.
   */
  protected async inconclusive(assessment: IntervalAssessment, sample: ProbeSummary): Promise<void> {
    const next = nextInconclusive(this.judgement.inconclusive ?? 0, assessment, this.summary.health);
    this.judgement.inconclusive = next.count;
    if (!next.hold || !holdStarts(this.judgement.heldInconclusive, this.rollbackRequest !== null)) return;
    const stage = this.stageName;
    const { why, detail } = fleetInconclusive(assessment, next.count, sample, this.summary.state);
    this.judgement.heldInconclusive = true;
    this.emit('health_inconclusive', why, detail, stage);
    this.setState('paused', inconclusiveReason(why));
    this.emit('paused', FLEET_INCONCLUSIVE_HELD_MESSAGE, {}, stage);
    await this.commit();
  }

  /* ---------- canary analysis ---------- */

  /** Canary analysis judges this stage: it was asked for, and a baseline is left to compare with. */
  protected analyzed(): boolean {
    return analysisJudges(this.summary.analysis, this.position.appliedUpTo, this.summary.totalTargets);
  }

  /**
   * One interval of canary analysis: the activity samples canary and baseline and judges the stage
   * so far; the stage's limits (judge.ts) turn the verdict into continue, roll back or hold.
   */
  protected async analyzeOnce(): Promise<void> {
    const analysis = this.summary.analysis!;
    const { position, judgement } = this;
    const stage = this.summary.currentStage ?? 'unknown';
    const run = canaryRunFor(judgement.analysis, position.appliedUpTo, INITIAL_STAGE_STATE);
    const outcome = await probing.analyzeInterval({
      rolloutId: this.summary.id,
      configKey: this.summary.configKey,
      version: this.summary.version!,
      stage,
      upto: position.appliedUpTo,
      interval: run.state.intervals,
      timeoutMs: this.summary.health.timeoutMs,
      analysis,
    });
    const step = nextStageVerdict(run.state, outcome.result, analysis.limits);
    judgement.analysis = { upto: run.upto, state: step.state };
    this.summary.analysisStage = { stage, ...step.state };
    const event = analysisEvent(step, outcome, analysis.limits);
    this.emit('analysis', event.message, event.detail, stage);
    await this.commit();
    const response = intervalResponse(step, outcome.result, analysis.limits);
    if (response.kind === 'rollback') await this.regression(response.message, response.evidence);
    else if (response.kind === 'hold') await this.holdForAnalysis(response.why);
  }

  /**
   * At the end of a bake under analysis: true when the stage may promote. A stage with no verdict
   * yet keeps probing; one that ended inconclusive or marginal holds for a human, never promotes.
   */
  protected async concludeAnalysis(): Promise<boolean> {
    const run = canaryRunFor(this.judgement.analysis, this.position.appliedUpTo, INITIAL_STAGE_STATE);
    const conclusion = stageConclusion(run, this.summary.analysis!.limits);
    switch (conclusion.kind) {
      case 'keep_probing':
        return false;
      case 'promote':
        return true;
      case 'rollback':
        await this.regression(conclusion.message, conclusion.evidence);
        this.throwIfRollbackRequested();
        return false;
      case 'hold':
        await this.holdForAnalysis(conclusion.why);
        return false;
    }
  }

  /** The analysis cannot tell: held for a human (once per hold), whatever the regression policy. */
  protected async holdForAnalysis(why: string): Promise<void> {
    if (!holdStarts(this.judgement.heldInconclusive, this.rollbackRequest !== null)) return;
    this.judgement.heldInconclusive = true;
    this.setState('paused', inconclusiveReason(why));
    this.emit('paused', analysisHeldMessage(why), { source: 'analysis' }, this.stageName);
    await this.commit();
  }
}
