// Runs before each test file: tfjs's "install the node backend" banner (printed once per
// worker on first cpu-backend use) says nothing the tests need and buries real output.
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);
