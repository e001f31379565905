import { attackRegressionSuite } from './attacks-regression-suite';

attackRegressionSuite('wasm');
