// Runs before every test file: what a file's tempDir() calls made is removed after its tests, so `npm test` leaves nothing in the system temp folder.
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers.js';

afterAll(() => removeTempDirs());
