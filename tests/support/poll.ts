/**
 * The poller for state the emulator cannot signal lives in the emulator package (its own
 * tests and the framework's use it too); re-exported here for the app's tests.
 *
 * @module
 */

export { until } from "@postbot/mattermost-emulator";
