export { inference } from './inference.js';
