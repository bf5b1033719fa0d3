/**
 * The worker module of parallel arms (`reproduce --jobs N`, experiments/arm_pool.ts): registers
 * the methods, then runs the jobs the pool sends.
 * @module
 */
import "../methods/mod.ts";
import { serveArmJobs } from "@creditlab/experiments";

serveArmJobs();
